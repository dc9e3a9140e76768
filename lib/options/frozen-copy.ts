/**
 * A deep copy of `value`'s plain data, frozen at every level. Plain objects and arrays are copied; anything
 * else (functions, RegExps, Buffers, class instances such as a logger or a serializer) is kept by
 * reference and left as it is, because freezing it would write into an object the caller owns.
 */
export function toFrozenCopy<T>(value: T): T {
  if (Array.isArray(value)) return Object.freeze(value.map((item: unknown) => toFrozenCopy(item))) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = toFrozenCopy(item);
  return Object.freeze(copy) as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
