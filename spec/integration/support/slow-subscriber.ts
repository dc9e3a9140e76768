/**
 * The subscriber process of the backpressure spec, run with --expose-gc: consumes TOPIC from the
 * beginning through consume() + concatMap + commitAfter(), taking one record per SLOW_MS ms for WINDOW_MS
 * while it samples its live heap (heapUsed right after a full GC) and how many records its pipeline holds,
 * then takes the rest at full speed. It checks every offset of END_OFFSETS ({ partition: end }) arrived
 * exactly once, drains, and prints one JSON line: `result {...}`. With STOP_AFTER_WINDOW it unsubscribes
 * after the window instead and prints what it had.
 */
import { concatMap, map, of, timer } from 'rxjs';
import { commitAfter, consume, silentLogger } from '../../../lib';
import { specDriver } from '../../support/spec-driver';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const collect = gc;

const endOffsets = JSON.parse(String(process.env.END_OFFSETS)) as Record<string, number>;
const total = Object.values(endOffsets).reduce((sum, end) => sum + end, 0);
const slowMs = Number(process.env.SLOW_MS);
const windowMs = Number(process.env.WINDOW_MS);
const bufferSize = Number(process.env.BUFFER_SIZE);
const stopAfterWindow = process.env.STOP_AFTER_WINDOW === '1';

function liveHeapMb(): number {
  collect();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function main(): Promise<void> {
  const seen = new Map(
    Object.entries(endOffsets).map(([partition, end]) => [Number(partition), new Uint8Array(end)]),
  );
  let received = 0;
  let duplicates = 0;
  let outOfRange = 0;
  let entered = 0;
  let finished = 0;
  let slow = true;
  const baselineMb = liveHeapMb();
  const stream = consume({
    client: { brokers: String(process.env.BROKERS).split(',') },
    groupId: String(process.env.GROUP),
    topics: [String(process.env.TOPIC)],
    fromBeginning: true,
    bufferSize,
    logger: silentLogger,
    ...specDriver(),
  });
  let subscription: { unsubscribe(): void } | undefined;
  const all = new Promise<void>((resolve, reject) => {
    subscription = stream
      .pipe(
        map((record) => {
          entered += 1;
          return record;
        }),
        concatMap((record) => (slow ? timer(slowMs).pipe(map(() => record)) : of(record))),
        commitAfter(),
      )
      .subscribe({
        next: (record) => {
          finished += 1;
          const offsets = seen.get(record.partition);
          const offset = Number(record.offset);
          if (!offsets || offset >= offsets.length) outOfRange += 1;
          else if (offsets[offset] === 1) duplicates += 1;
          else offsets[offset] = 1;
          received += 1;
          if (received === total) resolve();
        },
        error: reject,
      });
  });
  // The window starts at the first record: joining the group is not part of it.
  while (entered === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const samples: Array<{ heapMb: number; held: number }> = [];
  const windowEnds = Date.now() + windowMs;
  while (Date.now() < windowEnds) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    samples.push({ heapMb: liveHeapMb(), held: entered - finished });
  }
  const receivedInWindow = received;
  if (stopAfterWindow) {
    subscription?.unsubscribe();
    while (!stream.lastReport) await new Promise((resolve) => setTimeout(resolve, 50));
    const result = { baselineMb, samples, receivedInWindow, received, report: stream.lastReport };
    process.stdout.write(`result ${JSON.stringify(result)}\n`);
    return;
  }
  slow = false;
  await all;
  const report = await stream.drain();
  let missing = 0;
  for (const offsets of seen.values()) for (const mark of offsets) if (mark === 0) missing += 1;
  const result = { baselineMb, samples, receivedInWindow, received, duplicates, outOfRange, missing, report };
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
