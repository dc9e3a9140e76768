/**
 * The inspector's commands: `POST /commands` with a bearer token asks one source's connection to pause or
 * resume a partition (KafkaConnection.command), so the command is an event of the actor it addresses and
 * shows in the event log and the time travel like any other edge; or asks a server to skip the record an
 * event handler is stuck on to its dead-letter topic (KafkaServer.skipRecord). Everything a command can get wrong is
 * refused with a status and a reason, before anything changes: commands switched off, a missing or wrong
 * token (logged without its value), a body that is not a command, an unknown source or partition, a command
 * id seen before, a state the actor does not take the command in.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger';
import type { CommandOutcome, PartitionCommand } from '../connection/partition-command';
import type { SkipCommand } from '../pipeline/skip-record';
import { KafkaServer } from '../server/kafka-server';
import { namedConnectionsOf, type NamedSource } from './inspector-source';

/** The body of `POST /commands`. */
export interface InspectorCommandBody {
  /** Unique per command: a second command with the same id is refused (a retried or replayed request). */
  readonly id: string;
  /** The source's name as the page shows it (`server`, `orders.exactly-once`, …). */
  readonly source: string;
  readonly type: PartitionCommand['type'] | 'skip';
  readonly topic: string;
  readonly partition: number;
  /** For `skip`: the offset of the record to skip, as a string of digits. */
  readonly offset?: string;
  /** Who asks, kept in the partition's context and the event log. @defaultValue 'inspector' */
  readonly by?: string;
}

/** What `POST /commands` answers: an HTTP status and a JSON body. */
export interface CommandResponse {
  readonly status: number;
  readonly body:
    | { readonly accepted: true; readonly id: string }
    | { readonly accepted: false; readonly refusal: CommandRefusal; readonly reason: string };
}

/** Why a command was refused, as a stable word. */
export type CommandRefusal =
  'commands-off' | 'unauthorized' | 'malformed' | 'unknown-source' | 'replayed' | 'not-taken';

export interface InspectorCommandsOptions {
  /** The token commands must carry; absent: a random one (`token`), for the caller to hand to operators. */
  readonly token?: string;
  /** Command ids remembered to refuse a replay. @defaultValue 10_000 */
  readonly rememberIds?: number;
}

const TYPES: ReadonlySet<string> = new Set(['pause', 'resume', 'skip']);

export class InspectorCommands {
  readonly token: string;
  readonly #sources: readonly NamedSource[];
  readonly #logger: Logger;
  readonly #rememberIds: number;
  /** Ids of commands taken or refused by an actor, oldest first. */
  readonly #seen = new Set<string>();

  constructor(sources: readonly NamedSource[], logger: Logger, options: InspectorCommandsOptions = {}) {
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.#sources = sources;
    this.#logger = logger;
    this.#rememberIds = options.rememberIds ?? 10_000;
  }

  /** Checks the request's `authorization` header and body, and runs the command it holds. */
  async handle(authorization: string | undefined, rawBody: string, from: string): Promise<CommandResponse> {
    if (!this.#authorized(authorization)) {
      this.#logger.warn(
        `inspector: a command from ${from} was refused: ${authorization === undefined ? 'no' : 'a wrong'} token`,
        { from },
      );
      return refuse(401, 'unauthorized', 'send the inspector token as "authorization: Bearer <token>"');
    }
    const parsed = parseCommand(rawBody);
    if (typeof parsed === 'string') return refuse(400, 'malformed', parsed);
    if (this.#seen.has(parsed.id))
      return refuse(409, 'replayed', `command ${parsed.id} was seen before: give each command a new id`);
    const named = this.#sources.flatMap(({ name, source }) => namedConnectionsOf(name, source));
    const found = named.find(([name]) => name === parsed.source);
    if (!found) {
      return refuse(
        404,
        'unknown-source',
        `no source named ${JSON.stringify(parsed.source)}: the sources are ${named.map(([name]) => name).join(', ') || 'none'}`,
      );
    }
    this.#remember(parsed.id);
    const by = parsed.by ?? 'inspector';
    const { type, topic, partition } = parsed;
    const outcome: CommandOutcome =
      type === 'skip'
        ? await this.#skip(parsed.source, { type, topic, partition, offset: parsed.offset as string, by })
        : found[1].command({ type, topic, partition, by });
    if (!outcome.accepted) return refuse(409, 'not-taken', outcome.reason);
    const done = type === 'skip' ? `skipped offset ${parsed.offset} of` : `${type}d`;
    this.#logger.info(`inspector: ${by} ${done} ${topic}/${partition} of ${parsed.source}`, {
      id: parsed.id,
      source: parsed.source,
      topic,
      partition,
      ...(type === 'skip' ? { offset: parsed.offset } : {}),
      by,
    });
    return { status: 200, body: { accepted: true, id: parsed.id } };
  }

  /** A skip goes to a server's own pipeline: its exactly-once member and other sources have none. */
  #skip(sourceName: string, command: SkipCommand): Promise<CommandOutcome> | CommandOutcome {
    const source = this.#sources.find(({ name }) => name === sourceName)?.source;
    if (!(source instanceof KafkaServer)) {
      return {
        accepted: false,
        reason: `${sourceName} is not a server's own handlers: only a KafkaServer's event handlers can be skipped`,
      };
    }
    return source.skipRecord(command);
  }

  #authorized(authorization: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    if (!match) return false;
    const given = Buffer.from(match[1]);
    const expected = Buffer.from(this.token);
    // Compared in constant time: the answer's timing must not tell how much of a guess was right.
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > this.#rememberIds) this.#seen.delete(this.#seen.values().next().value as string);
  }
}

function refuse(status: number, refusal: CommandRefusal, reason: string): CommandResponse {
  return { status, body: { accepted: false, refusal, reason } };
}

/** The command in a body, or why the body is none. */
function parseCommand(raw: string): InspectorCommandBody | string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'the body is not JSON: send {"id", "source", "type": "pause" | "resume" | "skip", "topic", "partition"} (and "offset" for a skip)';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body is not a JSON object';
  const { id, source, type, topic, partition, offset, by } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0) return 'id must be a non-empty string';
  if (typeof source !== 'string') return 'source must be a string (a source name as the page shows it)';
  if (typeof type !== 'string' || !TYPES.has(type))
    return `type must be "pause", "resume" or "skip", got ${JSON.stringify(type)}`;
  if (typeof topic !== 'string' || topic.length === 0) return 'topic must be a non-empty string';
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0)
    return `partition must be a whole number of 0 or more, got ${JSON.stringify(partition)}`;
  if (by !== undefined && (typeof by !== 'string' || by.length === 0 || by.length > 200))
    return 'by must be a non-empty string of at most 200 characters';
  // An offset is 64-bit: a JSON number could lose digits, so it travels as a string of digits.
  if (type === 'skip' && (typeof offset !== 'string' || !/^\d+$/.test(offset)))
    return `offset must be a whole number written as a string of digits (e.g. "42"), got ${JSON.stringify(offset)}`;
  return {
    id,
    source,
    type: type as InspectorCommandBody['type'],
    topic,
    partition,
    ...(type === 'skip' ? { offset: offset as string } : {}),
    ...(by ? { by } : {}),
  };
}
