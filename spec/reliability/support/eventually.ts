/**
 * Polling with a deadline: the reliability specs wait for outcomes, never for durations.
 */

/** Resolves once `check()` is (or resolves to) true; rejects naming `what` (and `explain()`, if given) when `timeoutMs` passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  explain: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const detail = explain();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`);
    }
    await sleep(50);
  }
}

/** A timer as a promise (handlers that take a while, pauses between produce rounds). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
