/**
 * The transactional id a member connects once at start to learn whether its prefix is authorized, before it
 * joins its group: `${prefix}-*access-check`. No partition's id can be it (`*` is not legal in a topic name),
 * so the check fences no member's producer (see
 * lib/exactly-once/per-partition-transactional-id.ts).
 */
export function toAccessCheckTransactionalId(prefix: string): string {
  return `${prefix}-*access-check`;
}
