import { toFrozenCopy } from './frozen-copy';
import {
  checkBoolean,
  checkDuration,
  checkKnownKeys,
  checkPositiveInteger,
  checkRootObject,
  throwInvalidOption,
} from './option-checks';
import { CLIENT_OPTION_KEYS, explainMisplacedKey } from './option-keys';
import {
  DEFAULT_TRANSPORT_OPTIONS,
  resolveTransportOptions,
  type KafkaTransportOptions,
  type ResolvedTransportOptions,
} from './transport-options';

/** Options of a `KafkaClient`: NestJS's transport options plus rxkafka's request bounds. */
export interface KafkaClientOptions extends KafkaTransportOptions {
  /** No reply consumer and no group join: emit() works, send() fails with RXK_PRODUCER_ONLY_MODE. @defaultValue false */
  producerOnlyMode?: boolean;
  /** Default per-request timeout, restarted by each reply; 0 disables it. @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** Bound on requests waiting for replies; one more fails with RXK_PENDING_LIMIT. @defaultValue 10000 */
  maxPendingRequests?: number;
}

/** Client options with every default applied, validated and deep-frozen (see `ResolvedTransportOptions`). */
export interface ResolvedClientOptions extends ResolvedTransportOptions {
  readonly producerOnlyMode: boolean;
  readonly requestTimeoutMs: number;
  readonly maxPendingRequests: number;
}

/** The client's defaults, frozen. The logger default is created per client: `createStreamLogger('warn')`. */
export const DEFAULT_CLIENT_OPTIONS = toFrozenCopy({
  ...DEFAULT_TRANSPORT_OPTIONS,
  postfixId: '-client',
  producerOnlyMode: false,
  requestTimeoutMs: 30_000,
  maxPendingRequests: 10_000,
});

/**
 * Validates client options once, at the door, and returns them resolved and deep-frozen; nothing later
 * checks them again. Never writes into `options`. Pass a NestJS `ClientsModule` entry's `options` as it is.
 *
 * `run` and `subscribe` apply to the reply consumer, as in NestJS; with `run.autoCommit: false` reply
 * offsets are committed only through `KafkaClient.commitOffsets()`.
 *
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option's path, the value received and the fix.
 */
export function resolveClientOptions(options: KafkaClientOptions = {}): ResolvedClientOptions {
  checkRootObject(options, 'KafkaClientOptions');
  checkKnownKeys('', options, CLIENT_OPTION_KEYS, (key) => explainMisplacedKey(key, 'client'));
  const defaults = DEFAULT_CLIENT_OPTIONS;
  checkBoolean('producerOnlyMode', options.producerOnlyMode);
  checkDuration('requestTimeoutMs', options.requestTimeoutMs, 'no timeout');
  checkPositiveInteger('maxPendingRequests', options.maxPendingRequests, defaults.maxPendingRequests);
  if (options.groupProtocol === 'consumer') {
    throwInvalidOption(
      'groupProtocol',
      "option groupProtocol 'consumer' (KIP-848) is for servers and consume(): a client's reply consumer " +
        'chooses its reply partitions itself (NestJS reply partition assignment), and KIP-848 lets only the ' +
        "broker assign. Leave groupProtocol out on the client, or set it to 'classic'",
    );
  }
  return Object.freeze({
    ...resolveTransportOptions(options, defaults.postfixId),
    producerOnlyMode: options.producerOnlyMode ?? defaults.producerOnlyMode,
    requestTimeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    maxPendingRequests: options.maxPendingRequests ?? defaults.maxPendingRequests,
  });
}
