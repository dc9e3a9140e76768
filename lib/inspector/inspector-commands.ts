/**
 * The inspector's commands: `POST /commands` with a bearer token asks one source to pause or resume a
 * partition (KafkaConnection.command, an event of the actor it addresses, so it shows in the event log and
 * the time travel like any other edge), a server to skip the record an event handler is stuck on to its
 * dead-letter topic (KafkaServer.skipRecord), or a source to drain or stop; or it re-drives a dead-letter
 * topic of an inspected server (`redriveDeadLetters()`, in the background, one re-drive of a topic at a
 * time, through the driver of the server that writes to it; its start and outcome are `redrive` entries). A command for another member of a fleet goes
 * to the fleet's command topic, and that member runs it (fleet-commands.ts). Everything a command can get
 * wrong is refused with a status and a reason, before anything changes: commands switched off, a missing or
 * wrong token (logged without its value), a body that is not a command, an unknown member or source, a
 * command id seen before, a state the actor does not take the command in. Each command run or refused by
 * an actor is a `command` entry of the history: who asked what, and what came of it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../logger';
import { KafkaConnection } from '../connection/kafka-connection';
import { KafkaClient } from '../client/kafka-client';
import { KafkaServer } from '../server/kafka-server';
import { RecordStream } from '../streams/record-stream';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { redriveDeadLetters, type RedriveReport } from '../redrive/redrive-dead-letters';
import { parseCommandBody, type InspectorCommandBody } from './command-body';
import type { CommandEntry, MemberlessEntry } from './inspector-entry';
import { connectionOf, namedConnectionsOf, type NamedSource } from './inspector-source';

export type { InspectorCommandBody } from './command-body';

/** What `POST /commands` answers: an HTTP status and a JSON body. */
export interface CommandResponse {
  readonly status: number;
  readonly body:
    | { readonly accepted: true; readonly id: string; readonly forwardedTo?: string }
    | { readonly accepted: false; readonly refusal: CommandRefusal; readonly reason: string };
}

/** Why a command was refused, as a stable word. */
export type CommandRefusal =
  | 'commands-off'
  | 'unauthorized'
  | 'malformed'
  | 'unknown-member'
  | 'unknown-source'
  | 'replayed'
  | 'not-taken'
  | 'not-dead-letter-topic'
  | 'busy';

/** Runs one re-drive (`redriveDeadLetters()` through `driver`, by default). */
export type RedriveRunner = (request: {
  readonly topic: string;
  readonly by: string;
  readonly driver: KafkaDriver;
  readonly logger: Logger;
}) => Promise<RedriveReport>;

const runRedrive: RedriveRunner = ({ topic, by, driver, logger }) =>
  redriveDeadLetters({ topic, by, driver, logger });

export interface InspectorCommandsOptions {
  /** The token commands must carry; absent: a random one (`token`), for the caller to hand to operators. */
  readonly token?: string;
  /** This process's name: a command naming another `member` is forwarded, or refused without a fleet. @defaultValue 'this process' */
  readonly member?: string;
  /** Sends a command to another member of the fleet (the fleet's command topic); absent without a fleet. */
  readonly forward?: (command: InspectorCommandBody, token: string) => Promise<void>;
  /** Keeps each command's outcome in the history (which adds the member). @defaultValue nowhere */
  readonly record?: (entry: MemberlessEntry) => void;
  /** Runs a re-drive. @defaultValue `redriveDeadLetters()` */
  readonly redrive?: RedriveRunner;
  /** Command ids remembered to refuse a replay. @defaultValue 10_000 */
  readonly rememberIds?: number;
}

export class InspectorCommands {
  readonly token: string;
  readonly #sources: readonly NamedSource[];
  readonly #logger: Logger;
  readonly #options: InspectorCommandsOptions;
  readonly #rememberIds: number;
  /** Ids of commands run, refused by an actor or forwarded, oldest first. */
  readonly #seen = new Set<string>();
  readonly #member: string;
  readonly #record: (entry: MemberlessEntry) => void;
  /** Dead-letter topics being re-driven now. */
  readonly #redriving = new Set<string>();
  /** The re-drives running, for `settled()`. */
  readonly #running = new Set<Promise<void>>();

  constructor(sources: readonly NamedSource[], logger: Logger, options: InspectorCommandsOptions) {
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.#sources = sources;
    this.#logger = logger;
    this.#options = options;
    this.#rememberIds = options.rememberIds ?? 10_000;
    this.#member = options.member ?? 'this process';
    this.#record = options.record ?? (() => undefined);
  }

  /** Resolves once every re-drive started so far has ended (the inspector's close() waits for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.#running]);
  }

  /** Checks the request's `authorization` header and body, and runs (or forwards) the command it holds. */
  async handle(authorization: string | undefined, rawBody: string, from: string): Promise<CommandResponse> {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!this.#authorized(token)) {
      this.#logger.warn(
        `inspector: a command from ${from} was refused: ${token === undefined ? 'no' : 'a wrong'} token`,
        { from },
      );
      return refuse(401, 'unauthorized', 'send the inspector token as "authorization: Bearer <token>"');
    }
    const command = parseCommandBody(rawBody);
    if (typeof command === 'string') return refuse(400, 'malformed', command);
    const member = command.member ?? this.#member;
    if (command.type === 'redrive') return this.#startRedrive(command);
    if (member === this.#member) return await this.run(command);
    if (!this.#options.forward) {
      return refuse(
        404,
        'unknown-member',
        `member ${JSON.stringify(member)} is not this process (${this.#member}), and this inspector follows no fleet`,
      );
    }
    if (this.#seen.has(command.id)) return replayed(command.id);
    this.#remember(command.id);
    await this.#options.forward({ ...command, member }, token as string);
    this.#logger.info(`inspector: ${command.type} forwarded to ${member}`, { id: command.id, member });
    return { status: 202, body: { accepted: true, id: command.id, forwardedTo: member } };
  }

  /**
   * A command a fleet member read from the command topic, with the token its sender held: checked as an
   * HTTP command would be, then run here. Never throws: every outcome is logged and in the history.
   */
  async runForwarded(token: string | undefined, rawCommand: unknown): Promise<CommandResponse> {
    if (!this.#authorized(token)) {
      this.#logger.warn('inspector: a command from the fleet command topic was refused: a wrong token');
      return refuse(401, 'unauthorized', 'the command carried a token this member does not take');
    }
    const command = parseCommandBody(JSON.stringify(rawCommand));
    if (typeof command === 'string') return refuse(400, 'malformed', command);
    if (command.type === 'redrive')
      return refuse(400, 'malformed', 'a re-drive runs where its inspector runs');
    return await this.run(command);
  }

  /** Runs a checked command on a source of this process. */
  async run(command: InspectorCommandBody): Promise<CommandResponse> {
    if (this.#seen.has(command.id)) return replayed(command.id);
    const named = this.#sources.flatMap(({ name, source }) =>
      namedConnectionsOf(name, source).map(([connectionName, connection]) => ({
        name: connectionName,
        connection,
        // The exactly-once member's connection is drained with its server, never alone.
        owner: connectionName === name ? source : undefined,
      })),
    );
    const found = named.find(({ name }) => name === command.source);
    if (!found) {
      const names = named.map(({ name }) => name).join(', ') || 'none';
      return refuse(
        404,
        'unknown-source',
        `no source named ${JSON.stringify(command.source)}: the sources are ${names}`,
      );
    }
    this.#remember(command.id);
    const by = command.by ?? 'inspector';
    const refusal =
      command.type === 'pause' || command.type === 'resume'
        ? this.#commandPartition(found.connection, command, by)
        : command.type === 'skip'
          ? await this.#skip(found.owner, command, by)
          : this.#stop(found.owner, found.connection, command);
    this.#recordOutcome(command, by, refusal);
    if (refusal !== undefined) return refuse(409, 'not-taken', refusal);
    const inBackground = command.type === 'drain' || command.type === 'stop';
    return { status: inBackground ? 202 : 200, body: { accepted: true, id: command.id } };
  }

  /** A skip goes to a server's own pipeline: its exactly-once member and other sources have none. */
  async #skip(
    owner: NamedSource['source'] | undefined,
    command: InspectorCommandBody,
    by: string,
  ): Promise<string | undefined> {
    if (!(owner instanceof KafkaServer)) {
      return `${command.source} is not a server's own handlers: only a KafkaServer's event handlers can be skipped`;
    }
    const { topic, partition, offset } = command as InspectorCommandBody & {
      topic: string;
      partition: number;
      offset: string;
    };
    const outcome = await owner.skipRecord({ type: 'skip', topic, partition, offset, by });
    if (!outcome.accepted) return outcome.reason;
    this.#logger.info(
      `inspector: ${by} skipped offset ${offset} of ${topic}/${partition} of ${command.source}`,
      {
        id: command.id,
        source: command.source,
        topic,
        partition,
        offset,
        by,
      },
    );
    return undefined;
  }

  #commandPartition(
    connection: KafkaConnection,
    command: InspectorCommandBody,
    by: string,
  ): string | undefined {
    const { type, topic, partition } = command as InspectorCommandBody & { topic: string; partition: number };
    const outcome = connection.command({ type: type as 'pause' | 'resume', topic, partition, by });
    if (!outcome.accepted) return outcome.reason;
    this.#logger.info(
      `inspector: ${by} ${type === 'pause' ? 'paused' : 'resumed'} ${topic}/${partition} of ${command.source}`,
      { id: command.id, source: command.source, topic, partition, by },
    );
    return undefined;
  }

  /**
   * Drains (finishes in-flight work, commits, leaves the group) or stops (abandons in-flight work) a source,
   * in the background: the answer does not wait, the actor's edges show it happen.
   */
  #stop(
    owner: NamedSource['source'] | undefined,
    connection: KafkaConnection,
    command: InspectorCommandBody,
  ): string | undefined {
    if (owner === undefined) {
      return `${command.source} is a server's exactly-once member: ${command.type} the server, which takes both`;
    }
    const state = connectionOf(owner)?.state ?? connection.state;
    if (state === 'idle' || state === 'stopped' || state === 'draining') {
      return `${command.source} is ${state}: there is nothing to ${command.type}`;
    }
    if (command.type === 'stop' && owner instanceof RecordStream) {
      return `a consume() stream stops when its subscriber unsubscribes: drain ${command.source} instead`;
    }
    const mode = command.type === 'drain' ? 'drain' : 'abandon';
    const closing = closeSource(owner, mode);
    this.#logger.info(`inspector: ${command.by ?? 'inspector'} asked ${command.source} to ${command.type}`, {
      id: command.id,
      source: command.source,
    });
    closing.then(
      () => this.#logger.info(`inspector: ${command.source} ${mode === 'drain' ? 'drained' : 'stopped'}`),
      (error: unknown) =>
        this.#logger.warn(`inspector: ${command.type} of ${command.source} failed`, { error }),
    );
    return undefined;
  }

  #recordOutcome(command: InspectorCommandBody, by: string, refusal: string | undefined): void {
    const entry: Omit<CommandEntry, 'seq' | 'member'> = {
      kind: 'command',
      at: Date.now(),
      source: command.source,
      id: command.id,
      type: command.type as CommandEntry['type'],
      ...(command.topic === undefined ? {} : { topic: command.topic }),
      ...(command.partition === undefined ? {} : { partition: command.partition }),
      ...(command.offset === undefined ? {} : { offset: command.offset }),
      by,
      accepted: refusal === undefined,
      ...(refusal === undefined ? {} : { reason: refusal }),
    };
    this.#record(entry);
  }

  /** Starts a re-drive of a dead-letter topic an inspected server writes to; answers 202 at once. */
  #startRedrive(command: InspectorCommandBody): CommandResponse {
    if (this.#seen.has(command.id)) return replayed(command.id);
    const topic = command.topic as string;
    const servers = this.#sources.flatMap(({ source }) => (source instanceof KafkaServer ? [source] : []));
    const server = servers.find((candidate) => candidate.deadLetterTopics.includes(topic));
    if (!server) {
      const known = [...new Set(servers.flatMap((candidate) => candidate.deadLetterTopics))];
      return refuse(
        409,
        'not-dead-letter-topic',
        `${topic} is not a dead-letter topic of the inspected servers: re-drive one of ${known.join(', ') || 'none (no handler has deadLetter or retryTopics, or no server listens yet)'}`,
      );
    }
    if (this.#redriving.has(topic)) {
      return refuse(409, 'busy', `${topic} is being re-driven: wait for that re-drive to end`);
    }
    this.#remember(command.id);
    const { id } = command;
    const by = command.by ?? 'inspector';
    this.#redriving.add(topic);
    this.#logger.info(`inspector: ${by} re-drives ${topic}`, { id, topic, by });
    const base = { kind: 'redrive', source: 'inspector', id, topic, by } as const;
    this.#record({ ...base, at: Date.now(), outcome: 'started' });
    const redrive = this.#options.redrive ?? runRedrive;
    const running = redrive({ topic, by, driver: server.driver, logger: this.#logger })
      .then(
        (report) => {
          const skipped = report.skipped.length;
          this.#logger.info(
            `inspector: ${by}'s re-drive of ${topic} ended: ${report.redriven} re-driven, ${skipped} skipped`,
            { id, topic, by, redriven: report.redriven, skipped, byTopic: report.byTopic },
          );
          this.#record({
            ...base,
            at: Date.now(),
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
          this.#record({ ...base, at: Date.now(), outcome: 'failed', error: message });
        },
      )
      .finally(() => {
        this.#redriving.delete(topic);
        this.#running.delete(running);
      });
    this.#running.add(running);
    return { status: 202, body: { accepted: true, id } };
  }

  #authorized(token: string | undefined): boolean {
    if (token === undefined) return false;
    const given = Buffer.from(token);
    const expected = Buffer.from(this.token);
    // Compared in constant time: the answer's timing must not tell how much of a guess was right.
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > this.#rememberIds) this.#seen.delete(this.#seen.values().next().value as string);
  }
}

/** Closes a source as `mode` says; resolves when it is done. */
async function closeSource(source: NamedSource['source'], mode: 'drain' | 'abandon'): Promise<unknown> {
  if (source instanceof KafkaServer) return source.close({ mode });
  if (source instanceof KafkaClient) return source.close();
  if (source instanceof RecordStream) return source.drain();
  if (source instanceof KafkaConnection) return source.close(mode);
  return undefined;
}

function replayed(id: string): CommandResponse {
  return refuse(409, 'replayed', `command ${id} was seen before: give each command a new id`);
}

function refuse(status: number, refusal: CommandRefusal, reason: string): CommandResponse {
  return { status, body: { accepted: false, refusal, reason } };
}
