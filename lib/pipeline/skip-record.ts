/**
 * An operator's skip of the record a partition is stuck on: the record an event handler still runs on is
 * written to that handler's dead-letter topic, with who skipped it and when, and once Kafka acknowledged
 * it the run ends as done, so the partition's committed offset moves past the record. The handler's later
 * outcome is ignored, as after a handler timeout. Whatever cannot be skipped is refused with the reason,
 * and nothing changes.
 */
import type { CommandOutcome } from '../connection/partition-command';
import { publishRecordSkipped } from '../diagnostics/publish-diagnostics';
import type { Logger } from '../logger';
import { createSkippedLetter } from './dead-letter';
import type { FailurePolicy } from './failure-policy';
import { describeHandler } from './handler-run';
import type { RunsInFlight } from './runs-in-flight';

/** Skip the record at `offset` of `topic`/`partition` to its handler's dead-letter topic. */
export interface SkipCommand {
  readonly type: 'skip';
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, a whole number as text (Kafka offsets are 64-bit). */
  readonly offset: string;
  /** Who skips (a user name, `inspector`, a tool): written to the dead letter's `rxkafka_dlt-skipped-by`. */
  readonly by: string;
}

export interface SkipRecordTools {
  readonly inFlight: RunsInFlight;
  readonly failures: FailurePolicy;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** Skips the record when it can be; resolves once its dead letters are acknowledged, or with why not. */
export async function skipRecord(command: SkipCommand, tools: SkipRecordTools): Promise<CommandOutcome> {
  const { topic, partition, offset, by } = command;
  const name = `${topic}/${partition}`;
  if (!/^\d+$/.test(offset)) return refuse(`offset must be a whole number, got ${JSON.stringify(offset)}`);
  const entry = tools.inFlight.find(topic, partition, offset);
  if (!entry) {
    return refuse(
      `offset ${offset} of ${name} is not in flight (stale): its handlers finished already, or it was never fetched`,
    );
  }
  if (entry.kind === 'request') {
    return refuse(
      `offset ${offset} of ${name} is a request: its caller waits for a reply, which a skip cannot give; ` +
        'set handlerTimeoutMs to answer it with an error reply instead',
    );
  }
  if (entry.skipping) return refuse(`offset ${offset} of ${name} is being skipped already`);
  const runs = [...entry.runs];
  const without = runs.find((run) => run.deadLetterTopic === undefined);
  if (without) {
    return refuse(
      `${describeHandler(without.handler)} has no dead-letter topic: set deadLetter on the handler ` +
        `(@EventPattern('${topic}', { deadLetter: true })) or the server's deadLetter option`,
    );
  }
  const at = (tools.now ?? Date.now)();
  entry.skipping = true;
  try {
    await Promise.all(
      runs.map((run) =>
        tools.failures.writeDeadLetter(
          run.deadLetterTopic as string,
          createSkippedLetter(entry.record, { handler: describeHandler(run.handler), by, at }),
          entry.record,
        ),
      ),
    );
  } catch (error) {
    entry.skipping = false;
    return refuse(
      `writing the dead letter of offset ${offset} of ${name} failed (${error instanceof Error ? error.message : String(error)}): the record is still in flight`,
    );
  }
  for (const run of runs) run.cutOff();
  const handlers = runs.map((run) => describeHandler(run.handler));
  const deadLetterTopics = [...new Set(runs.map((run) => run.deadLetterTopic as string))];
  publishRecordSkipped({ topic, partition, offset, by, at, handlers, deadLetterTopics });
  tools.logger.warn(
    `${by} skipped offset ${offset} of ${name} to ${deadLetterTopics.join(', ')} while ${handlers.join(', ')} still ran on it`,
    { topic, partition, offset, by, at, handlers, deadLetterTopics },
  );
  return { accepted: true };
}

function refuse(reason: string): CommandOutcome {
  return { accepted: false, reason };
}
