/**
 * (q)'s second figure: how many records were handled, during a membership change, on the partitions that
 * did not move. Worked out after the run from what each server reported: the partitions it held each time
 * that changed (none while it was not `assigned`), and each record it handled (partition, time).
 *
 * A change starts at the first report after `from` that leaves the owners different from before (a partition
 * without exactly one owner, or with another), and ends at the first report after that where every partition
 * has exactly one owner again and the owners differ from before. The partitions that did not move are those
 * with the same owner before and after. With kafkajs's eager rebalance every member holds nothing while the
 * group rejoins, so few records are handled on them in between; with KIP-848 they keep flowing.
 */

/** A server's partitions from `atMs` on (empty while it is not assigned or once it has left). */
export interface OwnershipReport {
  readonly member: string;
  readonly atMs: number;
  readonly partitions: readonly number[];
}

/** A record a server's handler began on. */
export interface HandledRecord {
  readonly member: string;
  readonly atMs: number;
  readonly partition: number;
}

export interface OwnershipChange {
  /** From the change's start to its end; undefined when the reports show no complete change. */
  readonly windowMs: number | undefined;
  /** Partitions with the same owner before and after the change. */
  readonly unmoved: number;
  /** Records handled on those partitions, by their owner, within the window. */
  readonly handledOnUnmoved: number;
}

type Owners = Map<number, string>;

/**
 * The change the reports show between `from` and `until` (epoch ms) for a topic of `partitions`
 * partitions, and the records handled on its unmoved partitions.
 */
export function measureOwnershipChange(
  reports: readonly OwnershipReport[],
  handled: readonly HandledRecord[],
  partitions: number,
  from: number,
  until: number,
): OwnershipChange {
  const held = new Map<string, readonly number[]>();
  const sorted = [...reports].sort((a, b) => a.atMs - b.atMs);
  let index = 0;
  for (; index < sorted.length && sorted[index].atMs < from; index++) {
    held.set(sorted[index].member, sorted[index].partitions);
  }
  const before = completeOwners(held, partitions);
  const none: OwnershipChange = { windowMs: undefined, unmoved: 0, handledOnUnmoved: 0 };
  if (before === undefined) return none;
  let startedAt: number | undefined;
  for (; index < sorted.length && sorted[index].atMs <= until; index++) {
    const report = sorted[index];
    held.set(report.member, report.partitions);
    const owners = completeOwners(held, partitions);
    const changed = owners === undefined || !sameOwners(before, owners);
    if (startedAt === undefined) {
      if (changed) startedAt = report.atMs;
      continue;
    }
    if (owners === undefined || !changed) continue;
    const unmoved = [...before].filter(([partition, member]) => owners.get(partition) === member);
    const endedAt = report.atMs;
    const handledOnUnmoved = handled.filter(
      ({ member, partition, atMs }) =>
        atMs >= (startedAt as number) &&
        atMs <= endedAt &&
        before.get(partition) === member &&
        owners.get(partition) === member,
    ).length;
    return { windowMs: endedAt - startedAt, unmoved: unmoved.length, handledOnUnmoved };
  }
  return none;
}

/** Each partition's owner, when every one of the `partitions` has exactly one; otherwise undefined. */
function completeOwners(
  held: ReadonlyMap<string, readonly number[]>,
  partitions: number,
): Owners | undefined {
  const owners: Owners = new Map();
  for (const [member, owned] of held) {
    for (const partition of owned) {
      if (owners.has(partition)) return undefined;
      owners.set(partition, member);
    }
  }
  return owners.size === partitions ? owners : undefined;
}

function sameOwners(a: Owners, b: Owners): boolean {
  return a.size === b.size && [...a].every(([partition, member]) => b.get(partition) === member);
}
