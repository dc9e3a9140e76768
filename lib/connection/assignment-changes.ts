/**
 * An assignment (topic → partitions) changed a few partitions at a time, as KIP-848 changes it: the
 * partitions added to it, and those taken from it. Results are frozen, sorted and without empty topics.
 */
type Assignment = Readonly<Record<string, readonly number[]>>;

/** `assignment` with `added` besides. */
export function addToAssignment(assignment: Assignment, added: Assignment): Assignment {
  const merged = new Map(
    Object.entries(assignment).map(([topic, partitions]) => [topic, new Set(partitions)]),
  );
  for (const [topic, partitions] of Object.entries(added)) {
    const held = merged.get(topic) ?? new Set<number>();
    for (const partition of partitions) held.add(partition);
    merged.set(topic, held);
  }
  return toFrozenAssignment(merged);
}

/** `assignment` without `removed`. */
export function removeFromAssignment(assignment: Assignment, removed: Assignment): Assignment {
  const left = new Map(Object.entries(assignment).map(([topic, partitions]) => [topic, new Set(partitions)]));
  for (const [topic, partitions] of Object.entries(removed)) {
    for (const partition of partitions) left.get(topic)?.delete(partition);
  }
  return toFrozenAssignment(left);
}

/** Every partition of `assignment`, one entry each. */
export function listPartitions(assignment: Assignment): Array<{ topic: string; partition: number }> {
  return Object.entries(assignment).flatMap(([topic, partitions]) =>
    partitions.map((partition) => ({ topic, partition })),
  );
}

function toFrozenAssignment(partitionsByTopic: Map<string, Set<number>>): Assignment {
  const entries = [...partitionsByTopic]
    .filter(([, partitions]) => partitions.size > 0)
    .map(([topic, partitions]) => [topic, Object.freeze([...partitions].sort((a, b) => a - b))] as const);
  return Object.freeze(Object.fromEntries(entries));
}
