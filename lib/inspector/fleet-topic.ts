/**
 * The whole fleet through Kafka itself: each process publishes its inspector entries to one topic (keyed
 * by member and source, so one source's entries stay in order), and one inspector reads that topic and
 * shows every member side by side. Create the topic yourself, bounded: a retention of an hour or a day
 * (`retention.ms`) keeps recent history for late inspectors and no more.
 */
import { KafkaClient } from '../client/kafka-client';
import { silentLogger, type Logger } from '../logger';
import { RxKafkaError } from '../errors';
import { ActorHistory } from './actor-history';
import type { InspectorEntry } from './inspector-entry';
import { nameSources, SourceFollower, type InspectedObject, type NamedSource } from './inspector-source';
import { hostname } from 'node:os';
import { runFleetCommands } from './fleet-commands';
import { readTopic } from './topic-reader';
import { InspectorCommands } from './inspector-commands';

/** Where the fleet's entries travel: a topic, and the cluster it is on. */
export interface FleetTopic {
  readonly topic: string;
  /** kafkajs-shaped client settings: `brokers` at least (and `ssl`, `sasl` as for servers). */
  readonly client: { readonly brokers: string[] } & Record<string, unknown>;
}

export interface PublishInspectionOptions extends FleetTopic {
  /** Servers, clients or connections to publish, named or named by role (as startInspector names them). */
  readonly sources: ReadonlyArray<InspectedObject | NamedSource>;
  /** This process's name in the fleet. @defaultValue `<host>:<pid>` */
  readonly member?: string;
  readonly logger?: Logger;
  /**
   * Runs the commands an inspector of the fleet sends this member (`<topic>.commands`: create it beside the
   * fleet topic) when they carry this token, the one the inspector takes (`startInspector({ commands })`).
   * Off by default: the member only publishes.
   */
  readonly commands?: { readonly token: string };
}

export interface InspectionPublisher {
  /** Entries published so far. */
  readonly published: number;
  /** Stops following the sources and closes the producer once what was published is acknowledged. */
  close(): Promise<void>;
}

/** Publishes this process's actor entries to the fleet topic until closed. */
export async function publishInspection(options: PublishInspectionOptions): Promise<InspectionPublisher> {
  const logger = options.logger ?? silentLogger;
  const sources = nameSources(options.sources);
  if (sources.length === 0) {
    throw new RxKafkaError('RXK_INVALID_OPTIONS', 'publishInspection() needs at least one source', {
      path: 'sources',
    });
  }
  const commandToken = options.commands ? checkFleetToken(options.commands.token) : undefined;
  const history = new ActorHistory(1_000);
  const member = options.member ?? `${hostname()}:${process.pid}`;
  const producer = new KafkaClient({
    client: { ...options.client, clientId: `rxkafka-inspection-${member}` },
    producerOnlyMode: true,
    postfixId: '',
    logger,
  });
  await producer.connect();
  let published = 0;
  let sending = Promise.resolve();
  const stopListening = history.listen((entry) => {
    // One send at a time keeps a source's entries in order; each is small, and a few come per second.
    sending = sending.then(
      () =>
        new Promise<void>((resolve) => {
          producer.emit(options.topic, { key: `${member}/${entry.source}`, value: entry }).subscribe({
            complete: () => {
              published += 1;
              resolve();
            },
            error: (error: unknown) => {
              logger.warn(`could not publish an inspector entry to ${options.topic}`, { error });
              resolve();
            },
          });
        }),
    );
  });
  const follower = new SourceFollower(history, member, sources);
  follower.start();
  let commandRunner: { close(): Promise<void> } | undefined;
  try {
    commandRunner = commandToken
      ? await runFleetCommands(
          options,
          member,
          new InspectorCommands(sources, logger, {
            token: commandToken,
            member,
            record: (entry) => history.add({ ...entry, member }),
          }),
          logger,
        )
      : undefined;
  } catch (error) {
    // A missing command topic, say: nothing started here may outlive the failed call.
    follower.stop();
    stopListening();
    await producer.close();
    throw error;
  }
  return {
    get published() {
      return published;
    },
    close: async () => {
      await commandRunner?.close();
      follower.poll();
      follower.stop();
      stopListening();
      await sending;
      await producer.close();
    },
  };
}

/** A fleet's command token: the same rule as the inspector's, checked before anything connects. */
function checkFleetToken(token: unknown): string {
  if (typeof token !== 'string' || token.length < 16) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'option commands.token must be a string of at least 16 characters: the token the fleet inspector takes',
      { path: 'commands.token' },
    );
  }
  return token;
}

/** Reads the fleet topic from its beginning into `history`, in a consumer group of its own, until closed. */
export function followFleet(
  fleet: FleetTopic,
  history: ActorHistory,
  logger: Logger = silentLogger,
): Promise<{ close(): Promise<void> }> {
  return readTopic({
    client: fleet.client,
    topic: fleet.topic,
    clientIdPrefix: 'rxkafka-inspector',
    fromBeginning: true,
    logger,
    onRecord: (value, offset) => {
      const entry = parseEntry(value);
      if (entry) history.add(entry);
      else logger.warn(`skipped a record of ${fleet.topic} that is not an inspector entry`, { offset });
    },
  });
}

function parseEntry(value: Buffer | null): InspectorEntry | undefined {
  if (!value) return undefined;
  try {
    const entry = JSON.parse(value.toString('utf8')) as InspectorEntry;
    return typeof entry === 'object' &&
      entry !== null &&
      typeof entry.kind === 'string' &&
      typeof entry.member === 'string'
      ? entry
      : undefined;
  } catch {
    return undefined;
  }
}
