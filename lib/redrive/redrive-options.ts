/** What `redriveDeadLetters()` takes, and its validation at the door. */
import type { RecordHeaders } from '../kafka/kafka-record';
import type { KafkaConfig } from '../kafka/kafkajs/kafkajs-types';
import type { Logger } from '../logger';
import type { DriverOption } from '../options/create-driver';
import { checkKnownKeys, checkRootObject, checkString, failOption } from '../options/option-checks';
import { resolveTransportOptions, type ResolvedTransportOptions } from '../options/transport-options';

/** A dead letter as `filter` sees it: where it is, what it holds, and the topic it names. */
export interface DeadLetterRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  /** Its `kafka_dlt-original-topic` header. */
  readonly originalTopic: string;
}

/** Options of `redriveDeadLetters()`. */
export interface RedriveOptions {
  /** The dead-letter topic to read (a handler's `deadLetter` topic, or `<topic>.dlt`). */
  topic: string;
  /** Who re-drives: written into each re-driven record's `kafka_redriven-by` header, and logged. */
  by: string;
  /**
   * The consumer group that keeps the re-drive's progress, so each dead letter is re-driven once across
   * calls. @defaultValue `rxkafka-redrive-<topic>`
   */
  groupId?: string;
  /**
   * Which dead letters to re-drive; one it refuses is skipped (reason `filtered`) and not offered again.
   * @defaultValue every dead letter that names an existing topic
   */
  filter?: (letter: DeadLetterRecord) => boolean;
  /** kafkajs client config (brokers, clientId, ssl, sasl…). @defaultValue `{ brokers: ['localhost:9092'], clientId: 'rxkafka-redrive' }` */
  client?: Partial<KafkaConfig>;
  /** Where the re-drive logs its report. @defaultValue warnings and errors to stderr */
  logger?: Logger;
  /** The Kafka client library: `'kafkajs'`, `'platformatic'`, or a KafkaDriver. @defaultValue `'kafkajs'` */
  driver?: DriverOption;
}

/** `redriveDeadLetters()` options resolved, validated and frozen. */
export interface ResolvedRedriveOptions {
  readonly topic: string;
  readonly by: string;
  readonly groupId: string;
  readonly filter: ((letter: DeadLetterRecord) => boolean) | undefined;
  readonly transport: ResolvedTransportOptions;
}

const REDRIVE_OPTION_KEYS: Record<keyof RedriveOptions, true> = {
  topic: true,
  by: true,
  groupId: true,
  filter: true,
  client: true,
  logger: true,
  driver: true,
};

/** The default group of a re-drive of `topic`. */
export function toRedriveGroupId(topic: string): string {
  return `rxkafka-redrive-${topic}`;
}

/**
 * Validates the options once; never writes into them.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option, the value received and the fix.
 */
export function resolveRedriveOptions(options: RedriveOptions): ResolvedRedriveOptions {
  checkRootObject(options, 'RedriveOptions');
  checkKnownKeys('', options, Object.keys(REDRIVE_OPTION_KEYS));
  if (typeof options.topic !== 'string' || options.topic.length === 0) {
    failOption(
      'topic',
      'a non-empty string',
      options.topic,
      "name the dead-letter topic, e.g. topic: 'orders.dlt'",
    );
  }
  if (typeof options.by !== 'string' || options.by.trim().length === 0) {
    failOption('by', 'a non-empty string', options.by, "say who re-drives, e.g. by: 'alice'");
  }
  checkString('groupId', options.groupId, { nonEmpty: true, fix: "e.g. groupId: 'orders-redrive'" });
  if (options.filter !== undefined && typeof options.filter !== 'function') {
    failOption('filter', 'a function (letter) => boolean', options.filter, 'or leave it out to re-drive all');
  }
  const groupId = options.groupId ?? toRedriveGroupId(options.topic);
  const transport = resolveTransportOptions(
    {
      client: { ...options.client, clientId: options.client?.clientId || 'rxkafka-redrive' },
      consumer: { groupId },
      logger: options.logger,
      driver: options.driver,
      postfixId: '',
    },
    '',
  );
  return Object.freeze({
    topic: options.topic,
    by: options.by.trim(),
    groupId,
    filter: options.filter,
    transport,
  });
}
