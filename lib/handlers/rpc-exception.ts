/**
 * The exceptions a handler throws to control its error reply, with the meaning (and the JSON shape) of
 * NestJS's `RpcException` and `KafkaRetriableException` (`exceptions/rpc-exception.ts`).
 */

const RPC_EXCEPTION_NAMES: ReadonlySet<string> = new Set(['RpcException', 'KafkaRetriableException']);
const RETRIABLE_EXCEPTION_NAMES: ReadonlySet<string> = new Set(['KafkaRetriableException']);

/** Anything that behaves like an `RpcException`: ours, a subclass, or @nestjs/microservices' own. */
export interface RpcExceptionLike {
  getError(): unknown;
}

/**
 * An error whose payload reaches the caller: a string `s` is replied as `{ status: 'error', message: s }`,
 * an object as-is. Any other error is replied as `{ status: 'error', message: 'Internal server error' }`.
 */
export class RpcException extends Error {
  static {
    // On the prototype, not the instance: Nest's instances have no own `name`, so their JSON has none either.
    Object.defineProperty(this.prototype, 'name', {
      value: 'RpcException',
      writable: true,
      configurable: true,
    });
  }

  private readonly error: string | object;

  constructor(error: string | object) {
    // Nest assigns `message` after `super()`, which makes it enumerable (so it appears in the JSON); so do we.
    super();
    this.error = error;
    this.message = describeError(error, new.target.name);
    // The stack was captured by super() before the message existed; capture it again so it names the error.
    Error.captureStackTrace(this, new.target);
  }

  /** What the handler threw with: the string or object given to the constructor. */
  getError(): string | object {
    return this.error;
  }
}

/**
 * An `RpcException` that asks for redelivery instead of an error reply: thrown before a request's first
 * value (or from an event handler), it fails the record so kafkajs retries it. `getError()` returns the
 * exception itself, as in Nest.
 */
export class KafkaRetriableException extends RpcException {
  static {
    Object.defineProperty(this.prototype, 'name', {
      value: 'KafkaRetriableException',
      writable: true,
      configurable: true,
    });
  }

  override getError(): this {
    return this;
  }
}

/**
 * True for our `RpcException` (and subclasses) and for instances of @nestjs/microservices' `RpcException`
 * or `KafkaRetriableException`: a class of that name in the prototype chain and a `getError` method.
 * Duck-typed so users mixing Nest's exceptions with rxkafka get the same payloads.
 */
export function isRpcExceptionLike(error: unknown): error is RpcExceptionLike {
  return error instanceof RpcException || hasNamedClass(error, RPC_EXCEPTION_NAMES);
}

/** True for our `KafkaRetriableException` (and subclasses) and for Nest's, by the same duck typing. */
export function isRetriableException(error: unknown): error is RpcExceptionLike {
  return error instanceof KafkaRetriableException || hasNamedClass(error, RETRIABLE_EXCEPTION_NAMES);
}

function hasNamedClass(error: unknown, names: ReadonlySet<string>): error is RpcExceptionLike {
  if (typeof error !== 'object' || error === null) return false;
  if (typeof (error as Partial<RpcExceptionLike>).getError !== 'function') return false;
  for (
    let proto: unknown = Object.getPrototypeOf(error);
    proto !== null;
    proto = Object.getPrototypeOf(proto)
  ) {
    const ctor: unknown = Object.prototype.hasOwnProperty.call(proto, 'constructor')
      ? (proto as { constructor: unknown }).constructor
      : undefined;
    if (typeof ctor === 'function' && names.has(ctor.name)) return true;
  }
  return false;
}

// Nest's message: the string, else the object's string `message`, else the class name as words ("Rpc Exception").
function describeError(error: string | object, className: string): string {
  if (typeof error === 'string') return error;
  // `?.`: JavaScript callers may pass null or undefined, which NestJS's RpcException accepts too.
  const message: unknown = (error as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string') return message;
  return (className.match(/[A-Z][a-z]+|[0-9]+/g) ?? [className]).join(' ');
}
