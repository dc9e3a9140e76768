/**
 * A send Kafka refused, told in Kafka's words. @platformatic/kafka nests the broker's answer two levels deep
 * (MultipleErrors → ResponseError → ProtocolError), and a send to a topic the cluster does not have fails
 * in its metadata lookup with a bare "Unknown topic <name>." that keeps no Kafka code at all. Lifted to the
 * top, the error an application sees under RXK_SEND_FAILED carries Kafka's error name in `type` (the field
 * kafkajs uses for it) and Kafka's own description in its message, whichever driver sent it.
 */
import type { PlatformaticKafka } from './platformatic-library';
import { isUnknownTopicInMetadata, walkPlatformaticErrors } from './platformatic-errors';

/** What @platformatic/kafka's refusal becomes: Kafka's error name and description, its error as the cause. */
export class KafkaRefusalError extends Error {
  override readonly name = 'KafkaRefusalError';
  /** Kafka's error name, e.g. `MESSAGE_TOO_LARGE`. */
  readonly type: string;

  constructor(type: string, message: string, cause: unknown) {
    super(message, { cause });
    this.type = type;
  }
}

/** The first Kafka error name in `error`: a protocol error's `apiId`, or a metadata lookup of a missing topic. */
function findRefusal(error: unknown): string | undefined {
  for (const link of walkPlatformaticErrors(error)) {
    if (link.code === 'PLT_KFK_PROTOCOL' && typeof link.apiId === 'string') return link.apiId;
  }
  return isUnknownTopicInMetadata(error) ? 'UNKNOWN_TOPIC_OR_PARTITION' : undefined;
}

/** `error` as a KafkaRefusalError when Kafka refused the send; any other failure unchanged. */
export function toKafkaRefusal(error: unknown, library: PlatformaticKafka): unknown {
  const type = findRefusal(error);
  if (type === undefined) return error;
  const said = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
  const description = library.protocolErrors[type]?.message ?? type;
  const message = said.includes(description) ? `${said} (${type})` : `${said}: ${description} (${type})`;
  return new KafkaRefusalError(type, message, error);
}

/**
 * Kafka's UNKNOWN_TOPIC_OR_PARTITION for a read of `topics` that the cluster's metadata does not list: what
 * a Metadata request names each of them (@platformatic/kafka's consume() retries it instead of failing).
 */
export function toUnknownTopicRefusal(
  topics: readonly string[],
  library: PlatformaticKafka,
): KafkaRefusalError {
  const type = 'UNKNOWN_TOPIC_OR_PARTITION';
  const description = library.protocolErrors[type]?.message ?? type;
  const names = topics.map((topic) => `'${topic}'`).join(', ');
  return new KafkaRefusalError(type, `${description} (${names})`, undefined);
}
