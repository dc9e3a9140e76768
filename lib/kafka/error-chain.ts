/**
 * Kafka clients wrap what went wrong: kafkajs puts `KafkaJSNumberOfRetriesExceeded` around the last attempt's
 * error and errors carry an `originalError`; the platformatic driver's `MultipleErrors` and `cause` do the same.
 * Recognising a failure means looking down that chain.
 */

/** One error of a chain, reduced to what recognising it needs. */
export interface ErrorLink {
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
  /** kafkajs's protocol error type (`UNSUPPORTED_SASL_MECHANISM`, …). */
  readonly type?: unknown;
  /** The `host:port` a kafkajs connection error names. */
  readonly broker?: unknown;
}

/** `error`, then each `originalError` / `cause` below it, at most 8 deep (a cycle ends the walk). */
export function* walkCauses(error: unknown): Generator<ErrorLink> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    const link = current as {
      name?: unknown;
      message?: unknown;
      code?: unknown;
      type?: unknown;
      broker?: unknown;
      originalError?: unknown;
      cause?: unknown;
    };
    yield {
      name: typeof link.name === 'string' ? link.name : 'Error',
      message: typeof link.message === 'string' ? link.message : '',
      code: link.code,
      type: link.type,
      broker: link.broker,
    };
    current = link.originalError ?? link.cause;
  }
}
