/**
 * The body of an inspector command (`POST /commands`, or a record of a fleet's command topic), and the
 * check that turns untrusted JSON into one, naming the first thing wrong.
 */

/** An inspector command. */
export interface InspectorCommandBody {
  /** Unique per command: a second command with the same id is refused (a retried or replayed request). */
  readonly id: string;
  /** The process that runs it (a fleet member's name as the page shows it). @defaultValue this process */
  readonly member?: string;
  /** The source's name as the page shows it (`server`, `orders.exactly-once`, …). */
  readonly source: string;
  /**
   * `pause` / `resume` one partition (`topic`, `partition`); `skip` the record at `offset` a server's event
   * handler is stuck on to its dead-letter topic; `drain` a source (finish in-flight work, commit, leave the
   * group) or `stop` it (abandon in-flight work, which its partitions' next owners get); `redrive` a
   * dead-letter topic (`topic`) of an inspected server back to its records' source topics (`source` is
   * then `inspector`).
   */
  readonly type: 'pause' | 'resume' | 'skip' | 'drain' | 'stop' | 'redrive';
  readonly topic?: string;
  readonly partition?: number;
  /** For `skip`: the record's offset, as a string of digits (a JSON number could lose digits of 64 bits). */
  readonly offset?: string;
  /** Who asks, kept in the partition's context, the event log and the command's entry. @defaultValue 'inspector' */
  readonly by?: string;
}

const PARTITION_TYPES: ReadonlySet<string> = new Set(['pause', 'resume', 'skip']);
const SOURCE_TYPES: ReadonlySet<string> = new Set(['drain', 'stop']);
const REDRIVE = 'redrive';

/** The command in a body, or why the body is none. */
export function parseCommandBody(raw: string): InspectorCommandBody | string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'the body is not JSON: send {"id", "source", "type": "pause" | "resume" | "skip" | "drain" | "stop", …} or {"id", "type": "redrive", "topic"}';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body is not a JSON object';
  const { id, member, source, type, topic, partition, offset, by } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200)
    return 'id must be a non-empty string of at most 200 characters';
  if (member !== undefined && (typeof member !== 'string' || member.length === 0))
    return 'member must be a non-empty string (a member name as the page shows it)';
  if (typeof type !== 'string' || !(PARTITION_TYPES.has(type) || SOURCE_TYPES.has(type) || type === REDRIVE))
    return `type must be "pause", "resume", "skip", "drain", "stop" or "redrive", got ${JSON.stringify(type)}`;
  if (type !== REDRIVE && typeof source !== 'string')
    return 'source must be a string (a source name as the page shows it)';
  if (by !== undefined && (typeof by !== 'string' || by.trim().length === 0 || by.length > 200))
    return 'by must be a non-empty string of at most 200 characters';
  const common = {
    id,
    source: type === REDRIVE ? 'inspector' : (source as string),
    type: type as InspectorCommandBody['type'],
    ...(member === undefined ? {} : { member: member as string }),
    ...(by === undefined ? {} : { by: by as string }),
  };
  if (SOURCE_TYPES.has(type)) return common;
  if (typeof topic !== 'string' || topic.length === 0) return 'topic must be a non-empty string';
  if (type === REDRIVE) return { ...common, topic };
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0)
    return `partition must be a whole number of 0 or more, got ${JSON.stringify(partition)}`;
  if (type !== 'skip') return { ...common, topic, partition };
  if (typeof offset !== 'string' || !/^\d+$/.test(offset))
    return `offset must be a whole number written as a string of digits (e.g. "42"), got ${JSON.stringify(offset)}`;
  return { ...common, topic, partition, offset };
}
