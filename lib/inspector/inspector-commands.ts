/**
 * The inspector's commands: `POST /commands` with a bearer token asks one source's connection to pause or
 * resume a partition (KafkaConnection.command), so the command is an event of the actor it addresses and
 * shows in the event log and the time travel like any other edge. Everything a command can get wrong is
 * refused with a status and a reason, before anything changes: commands switched off, a missing or wrong
 * token (logged without its value), a body that is not a command, an unknown source or partition, a command
 * id seen before, a state the actor does not take the command in.
 *
 * `{ id, type: 'redrive', topic, by }` re-drives a dead-letter topic (`redriveDeadLetters()`) in the
 * background through the driver of the server that writes to it: only a topic one of the inspected servers
 * dead-letters to, and one re-drive of a topic at a time. Answered 202 at once; its start and its outcome go
 * to the log and the history (`RedriveEntry`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger';
import type { PartitionCommand } from '../connection/partition-command';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { redriveDeadLetters, type RedriveReport } from '../redrive/redrive-dead-letters';
import { KafkaServer } from '../server/kafka-server';
import type { RedriveEntry } from './inspector-entry';
import { namedConnectionsOf, type NamedSource } from './inspector-source';

/** The body of `POST /commands`. */
export interface InspectorCommandBody {
  /** Unique per command: a second command with the same id is refused (a retried or replayed request). */
  readonly id: string;
  /** The source's name as the page shows it (`server`, `orders.exactly-once`, …). */
  readonly source: string;
  readonly type: PartitionCommand['type'];
  readonly topic: string;
  readonly partition: number;
  /** Who asks, kept in the partition's context and the event log. @defaultValue 'inspector' */
  readonly by?: string;
}

/** The body of a `redrive` command. */
export interface RedriveCommandBody {
  readonly id: string;
  readonly type: 'redrive';
  /** The dead-letter topic. */
  readonly topic: string;
  /** Who asks, written into each re-driven record's `kafka_redriven-by`. @defaultValue 'inspector' */
  readonly by?: string;
}

/** Runs one re-drive (`redriveDeadLetters()` through `driver`, by default). */
export type RedriveRunner = (request: {
  readonly topic: string;
  readonly by: string;
  readonly driver: KafkaDriver;
  readonly logger: Logger;
}) => Promise<RedriveReport>;

/** What `POST /commands` answers: an HTTP status and a JSON body. */
export interface CommandResponse {
  readonly status: number;
  readonly body:
    | { readonly accepted: true; readonly id: string }
    | { readonly accepted: false; readonly refusal: CommandRefusal; readonly reason: string };
}

/** Why a command was refused, as a stable word. */
export type CommandRefusal =
  | 'commands-off'
  | 'unauthorized'
  | 'malformed'
  | 'unknown-source'
  | 'replayed'
  | 'not-taken'
  | 'not-dead-letter-topic'
  | 'busy';

export interface InspectorCommandsOptions {
  /** The token commands must carry; absent: a random one (`token`), for the caller to hand to operators. */
  readonly token?: string;
  /** Command ids remembered to refuse a replay. @defaultValue 10_000 */
  readonly rememberIds?: number;
  /** Where a re-drive's start and outcome go (the inspector's history). @defaultValue nowhere */
  readonly record?: (entry: Omit<RedriveEntry, 'seq' | 'member'>) => void;
  /** Runs a re-drive. @defaultValue `redriveDeadLetters()` */
  readonly redrive?: RedriveRunner;
}

const runRedrive: RedriveRunner = ({ topic, by, driver, logger }) =>
  redriveDeadLetters({ topic, by, driver, logger });

const TYPES: ReadonlySet<string> = new Set(['pause', 'resume']);

export class InspectorCommands {
  readonly token: string;
  readonly #sources: readonly NamedSource[];
  readonly #logger: Logger;
  readonly #rememberIds: number;
  /** Ids of commands taken or refused by an actor, oldest first. */
  readonly #seen = new Set<string>();
  readonly #record: (entry: Omit<RedriveEntry, 'seq' | 'member'>) => void;
  readonly #redrive: RedriveRunner;
  /** Dead-letter topics being re-driven now. */
  readonly #redriving = new Set<string>();
  /** The re-drives running, for `settled()`. */
  readonly #running = new Set<Promise<void>>();

  constructor(sources: readonly NamedSource[], logger: Logger, options: InspectorCommandsOptions = {}) {
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.#sources = sources;
    this.#logger = logger;
    this.#rememberIds = options.rememberIds ?? 10_000;
    this.#record = options.record ?? (() => undefined);
    this.#redrive = options.redrive ?? runRedrive;
  }

  /** Resolves once every re-drive started so far has ended (the inspector's close() waits for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.#running]);
  }

  /** Checks the request's `authorization` header and body, and runs the command it holds. */
  handle(authorization: string | undefined, rawBody: string, from: string): CommandResponse {
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
    if (parsed.type === 'redrive') return this.#startRedrive(parsed);
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
    const outcome = found[1].command({
      type: parsed.type,
      topic: parsed.topic,
      partition: parsed.partition,
      by,
    });
    if (!outcome.accepted) return refuse(409, 'not-taken', outcome.reason);
    this.#logger.info(
      `inspector: ${by} ${parsed.type === 'pause' ? 'paused' : 'resumed'} ${parsed.topic}/${parsed.partition} of ${parsed.source}`,
      { id: parsed.id, source: parsed.source, topic: parsed.topic, partition: parsed.partition, by },
    );
    return { status: 200, body: { accepted: true, id: parsed.id } };
  }

  #startRedrive(command: RedriveCommandBody): CommandResponse {
    const servers = this.#sources.flatMap(({ source }) => (source instanceof KafkaServer ? [source] : []));
    const server = servers.find((candidate) => candidate.deadLetterTopics.includes(command.topic));
    if (!server) {
      const known = [...new Set(servers.flatMap((candidate) => candidate.deadLetterTopics))];
      return refuse(
        409,
        'not-dead-letter-topic',
        `${command.topic} is not a dead-letter topic of the inspected servers: re-drive one of ${known.join(', ') || 'none (no handler has deadLetter or retryTopics, or no server listens yet)'}`,
      );
    }
    if (this.#redriving.has(command.topic)) {
      return refuse(409, 'busy', `${command.topic} is being re-driven: wait for that re-drive to end`);
    }
    this.#remember(command.id);
    const { id, topic } = command;
    const by = command.by ?? 'inspector';
    this.#redriving.add(topic);
    this.#logger.info(`inspector: ${by} re-drives ${topic}`, { id, topic, by });
    this.#record({ kind: 'redrive', at: Date.now(), source: 'inspector', id, topic, by, outcome: 'started' });
    const running = this.#redrive({ topic, by, driver: server.driver, logger: this.#logger })
      .then(
        (report) => {
          const skipped = report.skipped.length;
          this.#logger.info(
            `inspector: ${by}'s re-drive of ${topic} ended: ${report.redriven} re-driven, ${skipped} skipped`,
            { id, topic, by, redriven: report.redriven, skipped, byTopic: report.byTopic },
          );
          this.#record({
            kind: 'redrive',
            at: Date.now(),
            source: 'inspector',
            id,
            topic,
            by,
            outcome: 'done',
            redriven: report.redriven,
            skipped,
            byTopic: report.byTopic,
          });
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.#logger.error(`inspector: ${by}'s re-drive of ${topic} failed: ${message}`, {
            id,
            topic,
            by,
            error,
          });
          this.#record({
            kind: 'redrive',
            at: Date.now(),
            source: 'inspector',
            id,
            topic,
            by,
            outcome: 'failed',
            error: message,
          });
        },
      )
      .finally(() => {
        this.#redriving.delete(topic);
        this.#running.delete(running);
      });
    this.#running.add(running);
    return { status: 202, body: { accepted: true, id } };
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
function parseCommand(raw: string): InspectorCommandBody | RedriveCommandBody | string {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return 'the body is not JSON: send {"id", "source", "type": "pause" | "resume", "topic", "partition"}';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body is not a JSON object';
  const { id, source, type, topic, partition, by } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0) return 'id must be a non-empty string';
  if (type === 'redrive') return parseRedrive(id, topic, by);
  if (typeof source !== 'string') return 'source must be a string (a source name as the page shows it)';
  if (typeof type !== 'string' || !TYPES.has(type))
    return `type must be "pause" or "resume", got ${JSON.stringify(type)} (or "redrive", with the dead-letter topic and no source or partition)`;
  if (typeof topic !== 'string' || topic.length === 0) return 'topic must be a non-empty string';
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0)
    return `partition must be a whole number of 0 or more, got ${JSON.stringify(partition)}`;
  if (by !== undefined && (typeof by !== 'string' || by.length === 0 || by.length > 200))
    return 'by must be a non-empty string of at most 200 characters';
  return { id, source, type: type as PartitionCommand['type'], topic, partition, ...(by ? { by } : {}) };
}

function parseRedrive(id: string, topic: unknown, by: unknown): RedriveCommandBody | string {
  if (typeof topic !== 'string' || topic.length === 0)
    return 'topic must be a non-empty string (the dead-letter topic to re-drive)';
  if (by !== undefined && (typeof by !== 'string' || by.trim().length === 0 || by.length > 200))
    return 'by must be a non-empty string of at most 200 characters';
  return { id, type: 'redrive', topic, ...(by ? { by } : {}) };
}
