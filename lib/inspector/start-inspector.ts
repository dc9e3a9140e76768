/**
 * `startInspector()`: a small HTTP server on loopback that shows the actors of this process live (the
 * page, Server-Sent Events), keeps a bounded history the page scrubs through, can record it to a JSON-lines
 * file or replay one, and answers /healthz, /readyz and /metrics from the same actors.
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { connectionMachine } from '../connection/connection-machine';
import { listChartEdges } from '../connection/inspection';
import { RxKafkaError } from '../errors';
import { createStreamLogger, toLogger, type Logger } from '../logger';
import { ActorHistory } from './actor-history';
import { attachMetrics, type ActorMetrics } from './actor-metrics';
import { checkReadiness, type HealthOptions } from './health';
import { resolveStuckThresholdMs } from './explain-stuck';
import { checkHealth } from './health-handler';
import type { InspectorEntry } from './inspector-entry';
import { renderInspectorPage } from './inspector-page';
import { nameSources, SourceFollower, type InspectedObject, type NamedSource } from './inspector-source';
import { followFleet, type FleetTopic } from './fleet-topic';
import { renderStatechartSvg } from './render-statechart';
import { HandlerRuns } from './handler-runs';
import { HandlerWatch, type HandlerWatchOptions } from './handler-watch';
import { InspectorCommands } from './inspector-commands';
import { createCommandSender } from './fleet-commands';
import { recordViews } from './record-views';
import { StuckWatch } from './stuck-watch';
import { viewHandlers, type ViewHandlersOptions } from './view-handlers';

export interface InspectorOptions {
  /** @defaultValue 0 (a free port; read it from `url`) */
  readonly port?: number;
  /** The interface to listen on. Anything but loopback shows topic names and offsets to the network. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** Servers, clients or connections to show; a name each, or named by role and position. */
  readonly sources?: ReadonlyArray<InspectedObject | NamedSource>;
  /** Shows a recording (JSON lines, as `record` writes them) instead of live sources. */
  readonly replay?: string;
  /**
   * Also shows every process that publishes to this topic (`publishInspection()`), read from its
   * beginning: a whole deployment side by side.
   */
  readonly fleet?: FleetTopic;
  /** Appends every entry to this JSON-lines file as it happens. */
  readonly record?: string;
  /** Entries the page can scrub back through. @defaultValue 10_000 */
  readonly historySize?: number;
  /** This process's name on the page and in recordings. @defaultValue `<host>:<pid>` */
  readonly member?: string;
  /** The page's title. @defaultValue 'rxkafka inspector' */
  readonly title?: string;
  readonly health?: HealthOptions;
  /**
   * The per-handler and per-key views (`/views`, the page, the history). Keys of records waiting or
   * running are shown and recorded unless `hideKeys` is set.
   */
  readonly views?: ViewHandlersOptions & Pick<HandlerWatchOptions, 'windowMs'>;
  /**
   * Turns on `POST /commands` (pause and resume a partition of a live source, skip a server's stuck record, drain or stop a source, re-drive a dead-letter topic). Each
   * command needs `authorization: Bearer <token>`: `token` when given, else a random one, logged once at
   * start and in `inspector.commandToken`. With `fleet`, a command naming another member goes to the
   * fleet's command topic (`<fleet topic>.commands`), whose members run it with the same token. Off (the
   * default), the inspector only shows: a command gets 403.
   */
  readonly commands?: { readonly token?: string };
  /** Where the inspector logs (commands taken and refused, the generated token). @defaultValue `createStreamLogger('warn')` */
  readonly logger?: Logger;
}

export interface Inspector {
  /** The page's address, for example `http://127.0.0.1:40123/`. */
  readonly url: string;
  readonly history: ActorHistory;
  /** The token `POST /commands` takes; absent while commands are off. */
  readonly commandToken?: string;
  /** Stops following the sources, ends every open page's stream, closes the file and the server. */
  close(): Promise<void>;
}

/** Starts the inspector; resolves once it listens. */
export async function startInspector(options: InspectorOptions = {}): Promise<Inspector> {
  const history = new ActorHistory(options.historySize ?? 10_000);
  const member = options.member ?? `${hostname()}:${process.pid}`;
  const sources = nameSources(options.sources ?? []);
  if (options.replay !== undefined && (sources.length > 0 || options.fleet !== undefined)) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'startInspector() takes a replay file, or live sources and a fleet topic, not both',
      { path: 'replay' },
    );
  }
  resolveStuckThresholdMs(options.health?.explainStuckAfterMs, 'health.explainStuckAfterMs');
  const logger = options.logger ? toLogger(options.logger) : createStreamLogger('warn');
  const removers: Array<() => void | Promise<void>> = [];
  const commands = await createCommands(options, sources, logger, member, history, removers);
  const follower = new SourceFollower(history, member, sources);
  const { metrics, detach: detachMetrics } = attachMetrics(follower, sources);
  // One book of handler runs for both watches, while they keep time by the same clock (a health clock
  // given for tests shifts only the stuck figures).
  const runs = options.health?.now === undefined ? new HandlerRuns() : undefined;
  const watch = new StuckWatch({ now: options.health?.now, runs });
  const handlerWatch = new HandlerWatch({ windowMs: options.views?.windowMs, runs });
  const viewOptions: ViewHandlersOptions = {
    topKeys: options.views?.topKeys,
    hideKeys: options.views?.hideKeys,
  };
  // Checked here, not on the first request: a bad option fails the start.
  viewHandlers(handlerWatch, viewOptions);
  removers.push(
    detachMetrics,
    () => watch.close(),
    () => handlerWatch.close(),
    () => runs?.close(),
  );
  let recording: WriteStream | undefined;
  if (options.record !== undefined) {
    recording = createWriteStream(options.record, { flags: 'a' });
    removers.push(history.listen((entry) => recording?.write(`${JSON.stringify(entry)}\n`)));
  }
  const chartSvg = await renderStatechartSvg(connectionMachine, listChartEdges(connectionMachine));
  const page = renderInspectorPage({ chartSvg, title: options.title ?? 'rxkafka inspector' });
  const replay = options.replay !== undefined;
  if (replay) for (const entry of readRecording(options.replay as string)) history.add(entry);
  else {
    follower.start();
    removers.push(recordViews(history, member, handlerWatch, viewOptions));
  }
  const fleetReader = options.fleet ? await followFleet(options.fleet, history) : undefined;

  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) =>
    route(request, response, {
      page,
      history,
      streams,
      replay,
      metrics,
      liveness: () => checkHealth(follower, sources, watch, options.health),
      readiness: () => checkReadiness(follower.connections()),
      views: () => viewHandlers(handlerWatch, viewOptions),
      commands,
      member,
      fleet: options.fleet !== undefined,
    }),
  );
  await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    history,
    ...(commands ? { commandToken: commands.token } : {}),
    close: async () => {
      follower.stop();
      await fleetReader?.close();
      for (const remove of removers) await remove();
      for (const stream of streams) stream.end();
      // A re-drive started by a command ends (and commits) before the inspector is gone.
      await commands?.settled();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (recording) await new Promise<void>((resolve) => recording?.end(() => resolve()));
    },
  };
}

interface Routes {
  readonly page: string;
  readonly history: ActorHistory;
  readonly streams: Set<ServerResponse>;
  readonly replay: boolean;
  readonly metrics: ActorMetrics;
  readonly liveness: () => { ok: boolean; reasons: string[]; stuck: unknown[] };
  readonly readiness: () => { ok: boolean; reasons: string[] };
  readonly views: () => unknown;
  readonly commands: InspectorCommands | undefined;
  /** This process's name, which the page compares with the sources it may command. */
  readonly member: string;
  /** True when the inspector follows a fleet topic: the page may command other members' sources. */
  readonly fleet: boolean;
}

/** The largest command body read; a command is a few hundred bytes. */
const MAX_COMMAND_BYTES = 16 * 1024;

async function createCommands(
  options: InspectorOptions,
  sources: readonly NamedSource[],
  logger: Logger,
  member: string,
  history: ActorHistory,
  removers: Array<() => void | Promise<void>>,
): Promise<InspectorCommands | undefined> {
  if (options.commands === undefined) return undefined;
  const { token } = options.commands;
  if (token !== undefined && (typeof token !== 'string' || token.length < 16)) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'option commands.token must be a string of at least 16 characters (or left out for a random one)',
      { path: 'commands.token' },
    );
  }
  if (options.replay !== undefined) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'a replayed recording takes no commands: leave commands out',
      {
        path: 'commands',
      },
    );
  }
  const sender = options.fleet ? await createCommandSender(options.fleet, logger) : undefined;
  if (sender) removers.push(() => sender.close());
  const commands = new InspectorCommands(sources, logger, {
    token,
    member,
    record: (entry) => history.add({ ...entry, member }),
    ...(sender ? { forward: sender.send } : {}),
  });
  if (token === undefined) {
    logger.warn(`inspector commands are on; their token (shown once): ${commands.token}`);
  }
  return commands;
}

function route(request: IncomingMessage, response: ServerResponse, routes: Routes): void {
  const path = new URL(request.url ?? '/', 'http://inspector').pathname;
  if (path === '/commands') return runCommand(request, response, routes.commands);
  if (request.method !== 'GET') return send(response, 405, 'text/plain', 'GET only\n');
  switch (path) {
    case '/':
      return send(response, 200, 'text/html; charset=utf-8', routes.page);
    case '/events':
      return streamEvents(response, routes);
    case '/healthz':
    case '/readyz': {
      const verdict = path === '/healthz' ? routes.liveness() : routes.readiness();
      return send(response, verdict.ok ? 200 : 503, 'application/json', `${JSON.stringify(verdict)}\n`);
    }
    case '/views':
      return send(response, 200, 'application/json', `${JSON.stringify(routes.views())}\n`);
    case '/metrics':
      void routes.metrics.text().then(
        (text) => send(response, 200, routes.metrics.contentType, text),
        (error: unknown) => send(response, 500, 'text/plain', `${String(error)}\n`),
      );
      return;
    default:
      return send(response, 404, 'text/plain', 'not found\n');
  }
}

/** `POST /commands`: reads the body (bounded) and answers with the command's outcome. */
function runCommand(
  request: IncomingMessage,
  response: ServerResponse,
  commands: InspectorCommands | undefined,
): void {
  const json = (status: number, body: unknown) =>
    send(response, status, 'application/json', `${JSON.stringify(body)}\n`);
  if (request.method !== 'POST') return send(response, 405, 'text/plain', 'POST only\n');
  if (!commands) {
    return json(403, {
      accepted: false,
      refusal: 'commands-off',
      reason: 'this inspector only shows: start it with the option commands to take commands',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_COMMAND_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_COMMAND_BYTES) {
      return json(413, {
        accepted: false,
        refusal: 'malformed',
        reason: `the body is over ${MAX_COMMAND_BYTES} bytes`,
      });
    }
    const from = request.socket.remoteAddress ?? 'unknown';
    void commands.handle(request.headers.authorization, Buffer.concat(chunks).toString('utf8'), from).then(
      ({ status, body }) => json(status, body),
      (error: unknown) =>
        json(502, {
          accepted: false,
          refusal: 'not-taken',
          reason: `the command could not be sent to the fleet's command topic: ${String(error)}`,
        }),
    );
  });
}

/** The history so far, then every new entry, as Server-Sent Events. */
function streamEvents(
  response: ServerResponse,
  { history, streams, replay, commands, member, fleet }: Routes,
): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const hello = { replay, total: history.total, commands: commands !== undefined, member, fleet };
  response.write(`event: hello\ndata: ${JSON.stringify(hello)}\n\n`);
  // The history in one message: the page draws it once, not once per entry.
  response.write(`event: history\ndata: ${JSON.stringify(history.entries())}\n\n`);
  const stop = history.listen((entry) => response.write(`data: ${JSON.stringify(entry)}\n\n`));
  streams.add(response);
  response.on('close', () => {
    stop();
    streams.delete(response);
  });
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
  response.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The entries of a recording; a line that is not an entry is an error naming the line. */
export function readRecording(file: string): InspectorEntry[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const entries: InspectorEntry[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw new RxKafkaError('RXK_INVALID_OPTIONS', `${file}:${index + 1} is not JSON: ${String(error)}`, {
        path: 'replay',
      });
    }
    if (!isEntry(entry)) {
      throw new RxKafkaError('RXK_INVALID_OPTIONS', `${file}:${index + 1} is not an inspector entry`, {
        path: 'replay',
      });
    }
    entries.push(entry);
  });
  return entries;
}

function isEntry(value: unknown): value is InspectorEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, at, source } = value as { kind?: unknown; at?: unknown; source?: unknown };
  return (
    (kind === 'edge' ||
      kind === 'command' ||
      kind === 'partition-edge' ||
      kind === 'redrive' ||
      kind === 'partitions' ||
      kind === 'requests' ||
      kind === 'retries' ||
      kind === 'source' ||
      kind === 'views') &&
    typeof at === 'number' &&
    typeof source === 'string'
  );
}
