import type { OutgoingMessage } from '../../lib/wire/outgoing-message';

const KAFKAJS_MESSAGE_FIELDS = new Set(['key', 'value', 'headers', 'partition', 'timestamp']);

/**
 * The fields of a NestJS-built record that kafkajs reads. NestJS sends an envelope's other fields along
 * (`{ time, value }` keeps `time`; kafkajs ignores it); rxkafka builds records of these fields only.
 */
export function pickKafkajsFields(message: object): OutgoingMessage {
  return Object.fromEntries(
    Object.entries(message).filter(([field]) => KAFKAJS_MESSAGE_FIELDS.has(field)),
  ) as unknown as OutgoingMessage;
}
