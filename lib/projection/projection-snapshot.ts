/**
 * A projection's snapshot as written to its compacted topic: `{ version, sourceTopic, offsets, state }`,
 * JSON, keyed by the projection's name. `offsets` are, per source partition, the next offset the state has
 * not applied yet: a restart replays the source from there.
 */

export const SNAPSHOT_VERSION = 1;

export interface ProjectionSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly sourceTopic: string;
  /** Per partition of the source topic, the next offset to apply (decimal strings). */
  readonly offsets: Readonly<Record<number, string>>;
  /** The state as `serialize` made it. */
  readonly state: unknown;
}

/** The snapshot's record value. */
export function encodeSnapshot(snapshot: ProjectionSnapshot): string {
  return JSON.stringify(snapshot);
}

/** A usable snapshot, or why it is not one (for the warning). */
export type SnapshotReading =
  | { readonly usable: true; readonly snapshot: ProjectionSnapshot }
  | { readonly usable: false; readonly reason: string };

/**
 * Reads a snapshot record's value, and checks it is one of `sourceTopic` covering exactly its `partitions`.
 * Never throws: anything else is a reason to rebuild from scratch.
 */
export function readSnapshot(
  value: Buffer | null,
  sourceTopic: string,
  partitions: readonly number[],
): SnapshotReading {
  if (value === null) return { usable: false, reason: 'the latest snapshot is a tombstone (no value)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { usable: false, reason: `the latest snapshot is not JSON (${(error as Error).message})` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { usable: false, reason: 'the latest snapshot is not a JSON object' };
  }
  const candidate = parsed as Record<string, unknown>;
  if (candidate.version !== SNAPSHOT_VERSION) {
    return {
      usable: false,
      reason: `the latest snapshot has version ${String(candidate.version)}, not ${SNAPSHOT_VERSION}`,
    };
  }
  if (candidate.sourceTopic !== sourceTopic) {
    return {
      usable: false,
      reason: `the latest snapshot is of topic ${String(candidate.sourceTopic)}, not ${sourceTopic}`,
    };
  }
  if (!('state' in candidate)) return { usable: false, reason: 'the latest snapshot has no state' };
  const offsets = candidate.offsets;
  if (typeof offsets !== 'object' || offsets === null || Array.isArray(offsets)) {
    return { usable: false, reason: 'the latest snapshot has no offsets object' };
  }
  const entries = Object.entries(offsets as Record<string, unknown>);
  if (
    !entries.every(
      ([partition, offset]) => /^\d+$/.test(partition) && typeof offset === 'string' && /^\d+$/.test(offset),
    )
  ) {
    return {
      usable: false,
      reason: 'the latest snapshot has offsets that are not partition → decimal offset',
    };
  }
  const covered = entries.map(([partition]) => Number(partition)).sort((a, b) => a - b);
  const expected = [...partitions].sort((a, b) => a - b);
  if (covered.join(',') !== expected.join(',')) {
    return {
      usable: false,
      reason: `the latest snapshot covers partitions ${covered.join(', ') || 'none'}, but ${sourceTopic} has ${expected.join(', ')}`,
    };
  }
  return { usable: true, snapshot: candidate as unknown as ProjectionSnapshot };
}
