/**
 * The kafkajs workaround for authorization refusals it swallows.
 *
 * Why: kafkajs 2.2.4 looks a group's or a transactional id's coordinator up (FindCoordinator) by asking each
 * broker in turn and dropping every error on the way (cluster/index.js, findGroupCoordinatorMetadata), then
 * throws KafkaJSGroupCoordinatorNotFound. Kafka's GROUP_AUTHORIZATION_FAILED (30) and
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53) arrive exactly there, so the error that reaches the caller does
 * not say them (measured against Kafka 4.1.1). kafkajs does log the response first, at ERROR, whatever its
 * log level short of NOTHING: `Response GroupCoordinator(key: 10, version: 2)` with the protocol error's
 * text in `error`. This watches the client's log for those lines, so a coordinator lookup that fails right
 * after one is known for what it is.
 */
import type { Logger } from '../../logger';

/** A refusal kafkajs logged but did not throw: of a consumer group, or of a transactional id. */
export type SwallowedRefusal = 'group' | 'transactionalId';

// kafkajs's texts for the two errors (src/protocol/error.js, `message` of codes 30 and 53).
const REFUSAL_TEXTS: ReadonlyMap<string, SwallowedRefusal> = new Map([
  ['Not authorized to access group: Group authorization failed', 'group'],
  ['Transactional Id authorization failed', 'transactionalId'],
]);

/** Refusals seen in one kafkajs client's log, numbered in the order they were logged. */
export class AuthorizationRefusals {
  #count = 0;
  readonly #recent: Array<{ readonly at: number; readonly refusal: SwallowedRefusal }> = [];

  /** `logger`, noting the refusals kafkajs logs before passing every line on unchanged. */
  watch(logger: Logger): Logger {
    return {
      debug: (message, fields) => logger.debug(message, fields),
      info: (message, fields) => logger.info(message, fields),
      warn: (message, fields) => logger.warn(message, fields),
      error: (message, fields) => {
        this.#note(message, fields);
        logger.error(message, fields);
      },
    };
  }

  /** A mark to pass to `since()`: refusals logged after this call. */
  mark(): number {
    return this.#count;
  }

  /** The kinds of refusal logged since `mark`. */
  since(mark: number): ReadonlySet<SwallowedRefusal> {
    return new Set(this.#recent.filter(({ at }) => at > mark).map(({ refusal }) => refusal));
  }

  #note(message: string, fields: Record<string, unknown> | undefined): void {
    if (!message.startsWith('Response GroupCoordinator') || typeof fields?.error !== 'string') return;
    const refusal = REFUSAL_TEXTS.get(fields.error);
    if (!refusal) return;
    this.#count += 1;
    this.#recent.push({ at: this.#count, refusal });
    // A few are enough: a caller looks only at what its own step logged.
    if (this.#recent.length > 16) this.#recent.shift();
  }
}
