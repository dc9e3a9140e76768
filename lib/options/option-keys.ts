import type { KafkaClientOptions } from './client-options';
import type { KafkaServerOptions } from './server-options';
import type { KafkaTransportOptions } from './transport-options';

// Records rather than arrays so the compiler fails when an interface gains or loses a key.
const TRANSPORT_KEYS: Record<keyof KafkaTransportOptions, true> = {
  client: true,
  consumer: true,
  run: true,
  subscribe: true,
  producer: true,
  send: true,
  postfixId: true,
  serializer: true,
  deserializer: true,
  parser: true,
  connectTimeoutMs: true,
  logger: true,
  transport: true,
  driver: true,
  groupProtocol: true,
};
const SERVER_ONLY_KEYS: Record<Exclude<keyof KafkaServerOptions, keyof KafkaTransportOptions>, true> = {
  partitionConcurrency: true,
  ordering: true,
  maxInFlightPerPartition: true,
  drainTimeoutMs: true,
  handlerTimeoutMs: true,
  replyTimeoutMs: true,
  retry: true,
  deadLetter: true,
  exactlyOnce: true,
};
const CLIENT_ONLY_KEYS: Record<Exclude<keyof KafkaClientOptions, keyof KafkaTransportOptions>, true> = {
  producerOnlyMode: true,
  requestTimeoutMs: true,
  maxPendingRequests: true,
};

/** Every top-level key `KafkaServerOptions` declares. */
export const SERVER_OPTION_KEYS: readonly string[] = Object.freeze(
  Object.keys({ ...TRANSPORT_KEYS, ...SERVER_ONLY_KEYS }),
);

/** Every top-level key `KafkaClientOptions` declares. */
export const CLIENT_OPTION_KEYS: readonly string[] = Object.freeze(
  Object.keys({ ...TRANSPORT_KEYS, ...CLIENT_ONLY_KEYS }),
);

/**
 * Why `key` does not belong in the options of `side`, when there is a better answer than "did you mean":
 * the whole NestJS `{ transport, options }` object was passed, or an option of the other side was.
 */
export function explainMisplacedKey(key: string, side: 'server' | 'client'): string | undefined {
  if (key === 'options') {
    return (
      'this looks like a NestJS microservice object { transport, options }: ' +
      'pass its `options` property instead (e.g. resolveServerOptions(nestOptions.options))'
    );
  }
  const otherSide = side === 'server' ? CLIENT_ONLY_KEYS : SERVER_ONLY_KEYS;
  if (!Object.hasOwn(otherSide, key)) return undefined;
  const other = side === 'server' ? 'client' : 'server';
  return `it is a ${other} option (Kafka${capitalize(other)}Options), which a Kafka${capitalize(side)} does not use: remove it`;
}

function capitalize(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}
