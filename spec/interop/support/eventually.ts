/** Polls `check` until it holds; asynchronous outcomes are awaited, never timed. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `find` until it finds something, and resolves with it. */
export async function eventuallyFind<T>(
  find: () => T | undefined,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  let found: T | undefined;
  await eventually(() => (found = find()) !== undefined, what, timeoutMs);
  return found as T;
}
