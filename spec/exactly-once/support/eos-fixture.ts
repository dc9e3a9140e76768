/**
 * What the exactly-once broker specs share: processor child processes, inputs, a read_committed (or
 * read_uncommitted) reader of the outputs, and the group's committed offsets.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { useTestBroker } from '../../support/global-broker';
import { createTopics, testKafka, uniqueName, withAdmin } from '../../support/kafka-fixtures';

const ROOT = join(__dirname, '..', '..', '..');

/** A failover spec's fresh topics (3 partitions each), group and the environment of its member processes. */
export interface EosRun {
  readonly input: string;
  readonly output: string;
  readonly group: string;
  /** eos-member.ts's settings, without EOS_MEMBER. */
  readonly env: Record<string, string>;
}

/** Creates the topics and names of one failover run; `delayMs` is each member's wait per record. */
export async function createEosRun({ delayMs }: { delayMs: number }): Promise<EosRun> {
  const { brokers } = await useTestBroker();
  const [input, output] = await createTopics([
    { topic: uniqueName('eos-in'), numPartitions: 3 },
    { topic: uniqueName('eos-out'), numPartitions: 3 },
  ]);
  const group = uniqueName('eos-group');
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    EOS_INPUT: input,
    EOS_OUTPUT: output,
    EOS_GROUP: group,
    EOS_PREFIX: uniqueName('eos-tx'),
    EOS_DELAY_MS: String(delayMs),
  };
  return { input, output, group, env };
}

/** One processor process and everything it printed. */
export class MemberProcess {
  output = '';
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<void>;

  constructor(env: Record<string, string>) {
    this.child = spawn(
      process.execPath,
      ['-r', 'ts-node/register', 'spec/exactly-once/support/eos-member.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
      },
    );
    this.child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
  }

  /** The signal that ended the process, once it has ended. */
  get signal(): NodeJS.Signals | null {
    return this.child.signalCode;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/**
 * The member processes and readers a spec's tests start, registered for an afterEach that kills every
 * process (woken first, in case a test left it paused) and stops every reader.
 */
export function trackEosProcesses(): { members: MemberProcess[]; readers: OutputReader[] } {
  const members: MemberProcess[] = [];
  const readers: OutputReader[] = [];
  afterEach(async () => {
    for (const member of members.splice(0)) {
      member.kill('SIGCONT');
      member.kill('SIGKILL');
      await member.exited;
    }
    await Promise.all(readers.splice(0).map((reader) => reader.stop()));
  });
  return { members, readers };
}

/**
 * Writes inputs `{ id }` for ids 0 … count − 1, keyed by id, across the topic's partitions, each exactly
 * once. The producer is idempotent because a plain kafkajs producer is not exactly once here: right after a
 * topic is created the broker may refuse one partition of a request (NOT_LEADER_OR_FOLLOWER), and kafkajs
 * then sends the whole request again, writing the other partitions' records twice. Seen in about one run
 * in five; it made the exactly-once failover specs wait for a committed total that could never be reached.
 */
export async function produceInputs(topic: string, count: number): Promise<void> {
  const before = await endOffsetTotal(topic);
  const producer = (await testKafka()).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < count; start += 500) {
      const ids = Array.from({ length: Math.min(500, count - start) }, (_, i) => start + i);
      await producer.send({
        topic,
        messages: ids.map((id) => ({ key: String(id), value: JSON.stringify({ id }) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  const written = (await endOffsetTotal(topic)) - before;
  if (written !== count)
    throw new Error(`produced ${count} inputs to ${topic}, but it holds ${written} more`);
}

/** The sum of `topic`'s end offsets over its partitions. */
async function endOffsetTotal(topic: string): Promise<number> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return offsets.reduce((sum, { high }) => sum + Number(high), 0);
}

/** Reads a topic's outputs `{ id }` from the beginning, counting each id. */
export class OutputReader {
  readonly seen = new Map<number, number>();
  total = 0;
  readonly #consumer: Consumer;

  private constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  static async start(topic: string, readUncommitted = false): Promise<OutputReader> {
    const consumer = (await testKafka()).consumer({ groupId: uniqueName('eos-reader'), readUncommitted });
    const reader = new OutputReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { id } = JSON.parse(String(message.value)) as { id: number };
        reader.seen.set(id, (reader.seen.get(id) ?? 0) + 1);
        reader.total += 1;
      },
    });
    return reader;
  }

  /** Ids seen more than once. */
  get duplicates(): number[] {
    return [...this.seen].filter(([, times]) => times > 1).map(([id]) => id);
  }

  /** Ids of 0 … count − 1 never seen. */
  missing(count: number): number[] {
    return Array.from({ length: count }, (_, id) => id).filter((id) => !this.seen.has(id));
  }

  stop(): Promise<void> {
    return this.#consumer.disconnect();
  }
}

/** The sum of `groupId`'s committed offsets over the partitions of `topic` (−1 counts as 0). */
export async function committedTotal(groupId: string, topic: string): Promise<number> {
  return withAdmin(async (admin) => {
    const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (answer?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  });
}

/** Polls `check` (awaited) until it holds; rejects naming `what` and `explain()` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
