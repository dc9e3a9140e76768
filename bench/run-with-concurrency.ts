/**
 * Runs `task(0)` … `task(count - 1)` with at most `concurrency` running at once (a semaphore of lanes:
 * each lane takes the next index when its task settles). Rejects with the first task error.
 */
export async function runWithConcurrency(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runLane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, runLane));
}
