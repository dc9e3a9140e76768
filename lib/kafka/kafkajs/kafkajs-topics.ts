/**
 * Creating topics with kafkajs's admin client and waiting until every partition serves: what the public
 * `createTopics()` and the driver's `createTopicIfMissing()` share.
 */
import type { Admin, KafkaConfig } from 'kafkajs';
import { RxKafkaError } from '../../errors';
import type { Logger } from '../../logger';
import { toConnectFailure } from './kafkajs-connect-failure';
import { createKafka } from './create-kafka';
import { isLostConnection } from './lost-connection';

/** One topic to create, every field resolved. */
export interface TopicToCreate {
  readonly topic: string;
  readonly numPartitions: number;
  /** -1 leaves it to the broker's `default.replication.factor`. */
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** What `ensureTopics()` found and did. */
export interface EnsuredTopics {
  /** The topics this call created. */
  readonly created: readonly string[];
  /** The topics that were there already (left as they are). */
  readonly existing: readonly string[];
  /** The partition count of every topic asked for, from the metadata once all of them had leaders. */
  readonly partitions: Readonly<Record<string, number>>;
}

/**
 * Connects an admin client built from `config`, ensures `topics` (see `ensureTopics`) and disconnects.
 * @throws RxKafkaError `RXK_BROKER_UNREACHABLE` (retriable) when no broker answers,
 *   `RXK_AUTHENTICATION_FAILED` / `RXK_TLS_FAILED` for a refused login or a TLS mismatch, and
 *   `RXK_CREATE_TOPICS_FAILED` when the cluster refuses a topic, its partitions get no leader in time, or
 *   an admin request fails otherwise (kafkajs's error as the cause).
 */
export async function createKafkajsTopics(
  config: KafkaConfig,
  logger: Logger,
  topics: readonly TopicToCreate[],
  timeoutMs: number,
): Promise<EnsuredTopics> {
  const target = {
    clientId: config.clientId ?? 'kafkajs',
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl,
  };
  const admin = createKafka(config, logger).admin();
  try {
    await admin.connect();
    return await ensureTopics(admin, topics, timeoutMs);
  } catch (error) {
    if (RxKafkaError.isRxKafkaError(error)) throw error;
    const failure = toConnectFailure(error, target);
    if (failure?.code === 'RXK_BROKER_UNREACHABLE') {
      throw new RxKafkaError(failure.code, `could not create topics ${names(topics)}: ${failure.message}`, {
        cause: error,
        retriable: true,
      });
    }
    if (failure) throw failure;
    if (isLostConnection(error)) {
      const brokers = Array.isArray(config.brokers) ? config.brokers.join(',') : 'the brokers';
      throw new RxKafkaError(
        'RXK_BROKER_UNREACHABLE',
        `could not create topics ${names(topics)}: no broker at ${brokers} answered (${describe(error)}). ` +
          'Check that Kafka runs there and that client.brokers names it (for a local broker in tests, see ' +
          "startLocalKafka() from 'rxkafka/testing').",
        { cause: error, retriable: true },
      );
    }
    throw new RxKafkaError(
      'RXK_CREATE_TOPICS_FAILED',
      `could not create topics ${names(topics)}: the admin request failed (${describe(error)}).`,
      { cause: error, retriable: (error as { retriable?: unknown }).retriable === true },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates the topics of `topics` that do not exist yet and waits (at most `timeoutMs`) until every
 * partition of every one of them, existing or new, has a leader that serves it. Existing topics are left
 * as they are, whatever their partition count; a topic another process creates meanwhile counts as
 * existing.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly TopicToCreate[],
  timeoutMs: number,
): Promise<EnsuredTopics> {
  // Asked first: kafkajs logs Kafka's TOPIC_ALREADY_EXISTS answer at ERROR level.
  const listed = new Set(await admin.listTopics());
  const missing = topics.filter(({ topic }) => !listed.has(topic));
  const raced = missing.length === 0 ? [] : await createMissing(admin, missing);
  const created = missing.map(({ topic }) => topic).filter((topic) => !raced.includes(topic));
  const partitions = await awaitLeaders(admin, topics, timeoutMs);
  return {
    created,
    existing: topics.map(({ topic }) => topic).filter((topic) => !created.includes(topic)),
    partitions,
  };
}

/** Creates `topics`; returns those that turned out to exist already (created by someone else meanwhile). */
async function createMissing(admin: Admin, topics: readonly TopicToCreate[]): Promise<string[]> {
  try {
    // kafkajs's waitForLeaders retries only LEADER_NOT_AVAILABLE, but a KRaft broker may first answer
    // UNKNOWN_TOPIC_OR_PARTITION for a topic it has just created: awaitLeaders() waits instead.
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map(({ topic, numPartitions, replicationFactor, configs }) => ({
        topic,
        numPartitions,
        replicationFactor,
        configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
      })),
    });
    return [];
  } catch (error) {
    const refusals = findTopicErrors(error);
    if (refusals === undefined) throw error;
    const refused = refusals.filter(({ type }) => type !== 'TOPIC_ALREADY_EXISTS');
    if (refused.length === 0) return refusals.map(({ topic }) => topic);
    throw new RxKafkaError(
      'RXK_CREATE_TOPICS_FAILED',
      `the cluster refused to create ${refused.map(describeRefusal).join('; ')}` +
        `${refused.length < topics.length ? ` (the other topics asked for were created)` : ''}. ` +
        refused
          .map(({ type }) => fixFor(type))
          .filter((fix, i, all) => fix && all.indexOf(fix) === i)
          .join(' '),
      { cause: error, topic: refused[0].topic },
    );
  }
}

/**
 * Polls until every partition of `topics` has a leader that serves it; returns each topic's partition count.
 * The metadata names a leader before that broker serves the partition (it answers NOT_LEADER_OR_FOLLOWER
 * until then, and kafkajs resends a whole produce request when one of its partitions fails, writing the
 * others' records twice): reading every partition's offsets waits for it.
 */
async function awaitLeaders(
  admin: Admin,
  topics: readonly TopicToCreate[],
  timeoutMs: number,
): Promise<Record<string, number>> {
  const names = topics.map(({ topic }) => topic);
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: names });
      const leaderless = metadata.topics.filter(
        ({ partitions }) => partitions.length === 0 || partitions.some(({ leader }) => leader < 0),
      );
      if (leaderless.length === 0) {
        await Promise.all(names.map((topic) => admin.fetchTopicOffsets(topic)));
        return Object.fromEntries(metadata.topics.map(({ name, partitions }) => [name, partitions.length]));
      }
      lastProblem = `no leader yet for a partition of ${leaderless.map(({ name }) => name).join(', ')}`;
    } catch (error) {
      lastProblem = describe(error);
    }
    if (Date.now() >= deadline) {
      throw new RxKafkaError(
        'RXK_CREATE_TOPICS_FAILED',
        `the partitions of ${names.join(', ')} had no serving leader within ${timeoutMs} ms ` +
          `(last: ${lastProblem}). The cluster may be busy or short of brokers: try again, or raise timeoutMs.`,
        { retriable: true, topic: names[0] },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface TopicRefusal {
  readonly topic: string;
  readonly type: string;
  readonly message: string;
}

/** The per-topic errors of kafkajs's KafkaJSAggregateError (of KafkaJSCreateTopicError), where it is in the chain. */
function findTopicErrors(error: unknown): TopicRefusal[] | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    const { errors, cause } = current as { errors?: unknown; cause?: unknown };
    if (Array.isArray(errors)) {
      return errors.map((item: { topic?: unknown; type?: unknown; message?: unknown }) => ({
        topic: String(item.topic),
        type: String(item.type),
        message: String(item.message),
      }));
    }
    current = cause;
  }
  return undefined;
}

function describeRefusal({ topic, type, message }: TopicRefusal): string {
  return `${topic} (${type}: ${message})`;
}

/** What to change for a refusal Kafka gives to a CreateTopics request. */
function fixFor(type: string): string {
  switch (type) {
    case 'INVALID_REPLICATION_FACTOR':
      return 'Give replicationFactor at most the number of brokers, or leave it out for the broker default.';
    case 'INVALID_PARTITIONS':
      return 'Give numPartitions a whole number of at least 1.';
    case 'INVALID_CONFIG':
      return "Check the topic's configs against Kafka's topic configs (names and values).";
    case 'INVALID_TOPIC_EXCEPTION':
      return "Use a topic name of letters, digits, '.', '_' and '-' (at most 249).";
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return "The client's user may not create topics: grant it CREATE on the topics (or the cluster), or have them created for it.";
    case 'POLICY_VIOLATION':
      return "The cluster's create.topic.policy refused the topic: see the message.";
    default:
      return '';
  }
}

function names(topics: readonly TopicToCreate[]): string {
  return topics.map(({ topic }) => topic).join(', ');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
