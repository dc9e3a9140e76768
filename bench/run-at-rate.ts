/**
 * Starts `task(0)` … `task(count - 1)` at a steady rate, task i at start + i / rate, whether or not the
 * earlier ones have settled (an open loop: a slow receiver cannot slow the sender). `task` gets the time it
 * was due (performance.now() ms), so a latency counts from then even when the event loop started it late.
 * Rejects with the first task error, once every task has settled.
 */
export async function runAtRate(
  count: number,
  ratePerS: number,
  task: (index: number, dueAtMs: number) => Promise<void>,
): Promise<void> {
  const startMs = performance.now();
  const intervalMs = 1_000 / ratePerS;
  const running: Array<Promise<void>> = [];
  for (let index = 0; index < count; index++) {
    const dueAtMs = startMs + index * intervalMs;
    const waitMs = dueAtMs - performance.now();
    if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
    running.push(task(index, dueAtMs));
  }
  const outcomes = await Promise.allSettled(running);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
