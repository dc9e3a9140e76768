/**
 * The live heap: `heapUsed` right after a full garbage collection. RSS also counts memory V8 keeps after
 * growing its heap and native buffers the allocator has not returned, so it can step up without a leak;
 * live heap that grows over a soak is a leak. Workers run with `--expose-gc`; without it this is undefined.
 */
export function measureLiveHeapMb(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  return Math.round((process.memoryUsage().heapUsed / (1024 * 1024)) * 10) / 10;
}
