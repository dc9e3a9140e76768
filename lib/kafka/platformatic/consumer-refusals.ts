/**
 * What a consumer on @platformatic/kafka refuses before it starts, with the option to change: a topic
 * pattern (it subscribes to names only), and under KIP-848 the group settings the broker owns.
 */
import { RxKafkaError } from '../../errors';
import type { PlatformaticConsumerOptions } from './platformatic-options';

/** The group settings KIP-848 moves to the broker (`group.consumer.*` configs), by rxkafka option name. */
const CLASSIC_ONLY_OPTIONS = {
  sessionTimeout: 'consumer.sessionTimeout',
  heartbeatInterval: 'consumer.heartbeatInterval',
};

/**
 * KIP-848's session timeout and heartbeat interval are the broker's (`group.consumer.session.timeout.ms`,
 * `group.consumer.heartbeat.interval.ms`); the consumer's own would be ignored without a word.
 */
export function refuseClassicOnlyOptions(options: PlatformaticConsumerOptions): void {
  const given = (Object.keys(CLASSIC_ONLY_OPTIONS) as Array<keyof typeof CLASSIC_ONLY_OPTIONS>).filter(
    (key) => options[key] !== undefined,
  );
  if (given.length === 0) return;
  const names = given.map((key) => CLASSIC_ONLY_OPTIONS[key]);
  throw new RxKafkaError(
    'RXK_INVALID_OPTIONS',
    `groupProtocol 'consumer' (KIP-848) takes no ${names.join(' or ')}: the broker sets them ` +
      "(group.consumer.session.timeout.ms, group.consumer.heartbeat.interval.ms). Remove them, or use groupProtocol 'classic'",
    { path: names[0] },
  );
}

/** The subscription's topics; @platformatic/kafka subscribes to names only. */
export function toTopicNames(topics: ReadonlyArray<string | RegExp>): string[] {
  const patterns = topics.filter((topic): topic is RegExp => typeof topic !== 'string');
  if (patterns.length > 0) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `driver 'platformatic' subscribes to topic names only, got the pattern ${patterns.map(String).join(', ')}: ` +
        "name the topics, or use driver 'kafkajs' (the default)",
      { path: 'driver' },
    );
  }
  return topics as string[];
}
