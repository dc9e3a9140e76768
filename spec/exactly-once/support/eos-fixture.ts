/**
 * What the exactly-once broker specs share: processor child processes, inputs, a read_committed (or
 * read_uncommitted) reader of the outputs, and the group's committed offsets.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Consumer } from 'kafkajs';
import { testKafka, uniqueName, withAdmin } from '../../support/kafka-fixtures';

const ROOT = join(__dirname, '..', '..', '..');

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

/** Writes inputs `{ id }` for ids 0 … count − 1, keyed by id, across the topic's partitions. */
export async function produceInputs(topic: string, count: number): Promise<void> {
  const producer = (await testKafka()).producer();
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
