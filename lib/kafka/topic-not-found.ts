/**
 * A read of a topic the cluster does not have, named: Kafka answers UNKNOWN_TOPIC_OR_PARTITION ("This
 * server does not host this topic-partition") without the topic's name, so each adapter asks the cluster
 * which of the topics it reads are missing and this names them in one RXK_TOPIC_NOT_FOUND.
 */
import { RxKafkaError } from '../errors';
import { walkCauses } from './error-chain';

/** How long a topic may take to show in a broker's metadata after it was created, before it counts as missing. */
const TOPIC_LISTING_WAITS_MS = [100, 200, 400] as const;

/**
 * Resolves when `topic` is among the cluster's topics (asked again a few times within 0.7 s: a topic just
 * created may not show at once); else rejects with RXK_TOPIC_NOT_FOUND. kafkajs 2.2.4's admin retries a
 * lookup of a missing topic for about 10 s, logging each try, before it says "This server does not host
 * this topic-partition" without the topic's name; asking first fails in well under two seconds.
 */
export async function requireTopic(
  listTopics: () => Promise<string[]>,
  topic: string,
  clientId: string,
): Promise<void> {
  if ((await findMissingTopics(listTopics, [topic])).length === 0) return;
  throw toUnknownTopicFailure(undefined, clientId, [topic], [topic]);
}

/**
 * Those of `topics` the cluster's topics do not include, asked again a few times within 0.7 s while any is
 * missing (a topic just created may not show at once).
 */
export async function findMissingTopics(
  listTopics: () => Promise<string[]>,
  topics: readonly string[],
): Promise<string[]> {
  let missing = [...topics];
  for (const waitMs of [...TOPIC_LISTING_WAITS_MS, undefined]) {
    const listed = new Set(await listTopics());
    missing = missing.filter((topic) => !listed.has(topic));
    if (missing.length === 0 || waitMs === undefined) break;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  return missing;
}

/**
 * The `RXK_TOPIC_NOT_FOUND` error for a subscription that failed with UNKNOWN_TOPIC_OR_PARTITION.
 * `missing` lists the subscribed topics the cluster does not have; undefined when that could not be asked,
 * and then every subscribed topic is named as a suspect. Retriable: the topic may be created meanwhile, but
 * the connection machine ends a first connect with it at once (see connection-context.ts).
 */
export function toUnknownTopicFailure(
  error: unknown,
  clientId: string,
  subscribed: readonly string[],
  missing: readonly string[] | undefined,
): RxKafkaError {
  const named = missing !== undefined && missing.length > 0 ? missing : subscribed;
  const which =
    named === missing || named.length === 1
      ? `${named.length === 1 ? 'topic' : 'topics'} ${quote(named)} ${named.length === 1 ? 'does' : 'do'} not exist`
      : `one of the topics ${quote(named)} does not exist`;
  const message =
    `${clientId}: cannot read: ${which} on the cluster${describeCause(error)}. rxkafka never ` +
    `creates topics: create ${named.length === 1 ? 'it' : 'them'} (for example with rxkafka's createTopics() ` +
    "or kafka-topics.sh --create --topic <name>), or fix the topic's name in the handler, " +
    'subscribeToResponseOf(), consume() or replay() call that asks for it, then connect again.';
  return new RxKafkaError('RXK_TOPIC_NOT_FOUND', message, {
    ...(error === undefined ? {} : { cause: error }),
    retriable: true,
    ...(named.length === 1 ? { topic: named[0] } : {}),
  });
}

function quote(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}

function describeCause(error: unknown): string {
  for (const link of walkCauses(error)) {
    if (link.type === 'UNKNOWN_TOPIC_OR_PARTITION') return ` (Kafka: ${link.message})`;
  }
  return '';
}
