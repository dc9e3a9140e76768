/**
 * Non-blocking retries of one `@EventPattern` handler: a record its handler failed on goes to a delay topic
 * and comes back once its delay passed, while the source partition flows on; after the last delay it goes to
 * the dead-letter topic. Declared as data on the decorator (`retryTopics`), validated at `listen()`.
 */
import { RxKafkaError } from '../errors';

export interface RetryTopicsOptions {
  /**
   * The delay before each retry, in milliseconds, one retry topic each: `[1000, 10000]` runs the handler at
   * most three times. Positive integers, strictly increasing.
   */
  readonly delaysMs: readonly number[];
  /**
   * Where a record goes once its last retry failed (or its error is not retried): `true` for the source
   * topic's `<topic>.dlt`, a topic name, or `false` to only log it.
   * @defaultValue true
   */
  readonly deadLetter?: boolean | string;
  /**
   * Which errors are retried; the others go straight to the dead-letter topic.
   * @defaultValue every error except an `RpcException` that is not a `KafkaRetriableException`
   */
  readonly retryOn?: (error: unknown) => boolean;
  /**
   * The retry topic of a source topic for one delay.
   * @defaultValue `${topic}.retry.${delayMs}`
   */
  readonly topicOf?: (topic: string, delayMs: number) => string;
  /**
   * At `listen()`, create the retry topics (and the dead-letter topic) that are missing, with the source
   * topic's partition count. Without it a missing one fails `listen()` with RXK_TOPIC_NOT_FOUND naming it.
   * @defaultValue false
   */
  readonly createTopics?: boolean;
}

/** `retryTopics` checked and with its defaults, for one handler. */
export interface ResolvedRetryTopics {
  readonly delaysMs: readonly number[];
  readonly deadLetter: boolean | string;
  readonly retryOn: ((error: unknown) => boolean) | undefined;
  readonly topicOf: (topic: string, delayMs: number) => string;
  readonly createTopics: boolean;
}

/** The default retry topic of `topic` for `delayMs`: `<topic>.retry.<delayMs>`. */
export function toRetryTopic(topic: string, delayMs: number): string {
  return `${topic}.retry.${delayMs}`;
}

const KNOWN_KEYS = new Set(['delaysMs', 'deadLetter', 'retryOn', 'topicOf', 'createTopics']);

/**
 * Checks one handler's `retryTopics` and fills in its defaults. `handler` (`Controller.method`) names it in
 * every error.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for an empty, unsorted or non-positive delay list, a field of
 *   the wrong type, or an unknown field.
 */
export function resolveRetryTopics(options: unknown, handler: string): ResolvedRetryTopics {
  return resolveRetryTopicsAt(options, `${handler}.retryTopics`);
}

/**
 * The same checks for a `retryTopics` given elsewhere (a `consume()` option): `path` names it in every error.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` as resolveRetryTopics().
 */
export function resolveRetryTopicsAt(options: unknown, path: string): ResolvedRetryTopics {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`${path} must be an object such as { delaysMs: [1000, 10000] }`, path);
  }
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!KNOWN_KEYS.has(key)) {
      throw invalid(`${path}.${key} is not an option: use ${[...KNOWN_KEYS].join(', ')}`, `${path}.${key}`);
    }
  }
  const delaysMs = checkDelays(fields.delaysMs, `${path}.delaysMs`);
  const { deadLetter = true, retryOn, topicOf = toRetryTopic, createTopics = false } = fields;
  if (typeof deadLetter !== 'boolean' && (typeof deadLetter !== 'string' || deadLetter.length === 0)) {
    throw invalid(`${path}.deadLetter must be true, false or a topic name`, `${path}.deadLetter`);
  }
  if (retryOn !== undefined && typeof retryOn !== 'function') {
    throw invalid(`${path}.retryOn must be a function (error) => boolean`, `${path}.retryOn`);
  }
  if (typeof topicOf !== 'function') {
    throw invalid(`${path}.topicOf must be a function (topic, delayMs) => string`, `${path}.topicOf`);
  }
  if (typeof createTopics !== 'boolean') {
    throw invalid(`${path}.createTopics must be true or false`, `${path}.createTopics`);
  }
  return Object.freeze({
    delaysMs,
    deadLetter,
    retryOn: retryOn as ((error: unknown) => boolean) | undefined,
    topicOf: topicOf as (topic: string, delayMs: number) => string,
    createTopics,
  });
}

function checkDelays(delays: unknown, path: string): readonly number[] {
  if (!Array.isArray(delays) || delays.length === 0) {
    throw invalid(`${path} must be a non-empty array of delays in milliseconds, e.g. [1000, 10000]`, path);
  }
  delays.forEach((delay: unknown, index) => {
    if (typeof delay !== 'number' || !Number.isSafeInteger(delay) || delay <= 0) {
      throw invalid(
        `${path}[${index}] must be a positive integer of milliseconds, got ${String(delay)}`,
        path,
      );
    }
    if (index > 0 && delay <= (delays[index - 1] as number)) {
      throw invalid(
        `${path} must be strictly increasing (one retry topic per delay), got ${JSON.stringify(delays)}`,
        path,
      );
    }
  });
  return Object.freeze([...(delays as number[])]);
}

function invalid(message: string, path: string): RxKafkaError {
  return new RxKafkaError('RXK_INVALID_OPTIONS', message, { path });
}
