/**
 * What the handler decorators record on a controller class, how it is validated when a decorator runs, and
 * how the handler registry reads it back.
 *
 * Everything lives in reflect-metadata, on the prototype that declares the method, under `rxkafka:` keys.
 * It is read with `getOwnMetadata`, so (as in NestJS, which keys it on the decorated function) an
 * overriding method without decorators is not a handler, while an inherited decorated method is.
 */
import { RxKafkaError } from '../errors';
import type { KafkaContext } from './kafka-context';
import type { HandlerOptions } from './handler-options';

/** Metadata key of a method's patterns. `Symbol.for` lets two copies of rxkafka in one process agree. */
export const PATTERNS_METADATA = Symbol.for('rxkafka:patterns');

/** Metadata key of a method's parameter bindings. */
export const PARAMS_METADATA = Symbol.for('rxkafka:params');

/** `message` handlers may reply (`@MessagePattern`); `event` handlers never do (`@EventPattern`). */
export type HandlerKind = 'message' | 'event';

/** A topic name, or a RegExp matched against topic names. */
export type HandlerPattern = string | RegExp;

/** One `@MessagePattern` or `@EventPattern` on a method. */
export interface PatternMetadata {
  readonly kind: HandlerKind;
  readonly pattern: HandlerPattern;
  readonly options?: HandlerOptions;
}

/** What one decorated parameter receives: the payload (or one property of it) or the `KafkaContext`. */
export type ParamMetadata =
  { readonly kind: 'payload'; readonly property?: string } | { readonly kind: 'context' };

/** A method's parameter bindings by index; undecorated parameters are holes. */
export type ParamsMetadata = readonly (ParamMetadata | undefined)[];

type MemberKey = string | symbol;

/**
 * Records a pattern on a method (used by `@MessagePattern` and `@EventPattern`).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for an empty pattern or one neither string nor RegExp, a static member, a
 *   member that is not a method, or the same pattern twice on one method.
 */
export function addPatternMetadata(
  target: object,
  key: MemberKey,
  descriptor: PropertyDescriptor | undefined,
  entry: PatternMetadata,
): void {
  const decorator = `${toDecoratorName(entry.kind)}(${describeValue(entry.pattern)})`;
  const member = describeMember(target, key);
  assertPattern(entry.pattern, decorator, member);
  if (typeof target === 'function') {
    throw invalid(
      `${decorator} is on the static member ${member}: handlers must be instance methods`,
      member,
    );
  }
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw invalid(
      `${decorator} is on ${member}, which is not a method: put it on a method of the class`,
      member,
    );
  }
  assertExactlyOnce(entry, decorator, member);
  assertDeadLetter(entry, decorator, member);
  assertRetryTopics(entry, decorator, member);
  const existing = readPatternMetadata(target, key);
  if (existing.some((other) => other.kind === entry.kind && isSamePattern(other.pattern, entry.pattern))) {
    throw invalid(`${decorator} appears twice on ${member}: remove one of them`, member);
  }
  // Decorators run bottom-up; prepending keeps the list in the order they are written.
  Reflect.defineMetadata(PATTERNS_METADATA, [entry, ...existing], target, key);
}

/**
 * Records what a parameter receives (used by `@Payload` and `@Ctx`).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for a constructor or static-method parameter, a parameter
 *   that already has `@Payload` or `@Ctx`, or a `@Payload` property that is not a non-empty string.
 */
export function addParamMetadata(
  target: object,
  key: MemberKey | undefined,
  index: number,
  param: ParamMetadata,
): void {
  const decorator = param.kind === 'payload' ? '@Payload()' : '@Ctx()';
  const member = describeMember(target, key);
  if (key === undefined) {
    throw invalid(
      `${decorator} is on parameter ${index} of the ${member}: it only applies to handler method parameters (use @inject() for constructor injection)`,
      member,
    );
  }
  if (typeof target === 'function') {
    throw invalid(
      `${decorator} is on parameter ${index} of the static member ${member}: handlers must be instance methods`,
      member,
    );
  }
  if (param.kind === 'payload' && param.property !== undefined) {
    assertProperty(param.property, index, member);
  }
  const params = [...(readParamMetadata(target, key) ?? [])];
  if (params[index] !== undefined) {
    throw invalid(
      `parameter ${index} of ${member} has both @Payload() and @Ctx() (or one of them twice): give each parameter at most one`,
      member,
    );
  }
  params[index] = param;
  Reflect.defineMetadata(PARAMS_METADATA, params, target, key);
}

/** The patterns declared on `prototype[key]` itself, in source order; empty when it is not a handler. */
export function readPatternMetadata(prototype: object, key: MemberKey): readonly PatternMetadata[] {
  return (Reflect.getOwnMetadata(PATTERNS_METADATA, prototype, key) as PatternMetadata[] | undefined) ?? [];
}

/** The parameter bindings declared on `prototype[key]`, or `undefined` when no parameter is decorated. */
export function readParamMetadata(prototype: object, key: MemberKey): ParamsMetadata | undefined {
  return Reflect.getOwnMetadata(PARAMS_METADATA, prototype, key) as ParamsMetadata | undefined;
}

/**
 * The argument list a handler is called with, built as NestJS's `RpcContextCreator` and `RpcParamsFactory`
 * build it:
 * - no decorated parameter: `[payload]` only (Nest's `DEFAULT_CALLBACK_METADATA`; the context is not passed);
 * - otherwise one argument per index up to the last decorated parameter, `undefined` for undecorated ones;
 * - `@Payload('prop')` gives `payload?.[prop]`, so a null payload gives `undefined`.
 */
export function toHandlerArgs(
  params: ParamsMetadata | undefined,
  payload: unknown,
  context: KafkaContext,
): unknown[] {
  return compileHandlerArgs(params)(payload, context);
}

/**
 * `toHandlerArgs` for one handler, with the decision made once: called for every record, it builds the
 * argument list without a callback per parameter.
 */
export function compileHandlerArgs(
  params: ParamsMetadata | undefined,
): (payload: unknown, context: KafkaContext) => unknown[] {
  if (params === undefined) return (payload) => [payload];
  // Array.from visits the holes of the sparse array, so undecorated parameters become undefined.
  const bindings = Array.from(params);
  return (payload, context) => {
    const args = new Array<unknown>(bindings.length);
    for (let index = 0; index < bindings.length; index++) {
      args[index] = resolveParam(bindings[index], payload, context);
    }
    return args;
  };
}

/** `Class.method` for error messages; `Class constructor` for constructor parameters. */
export function describeMember(target: object, key: MemberKey | undefined): string {
  const className = typeof target === 'function' ? target.name : target.constructor.name;
  return key === undefined ? `${className} constructor` : `${className}.${String(key)}`;
}

/** A pattern or decorator argument as written in source (`"topic"`, `/re/`), for error messages. */
export function describeValue(value: unknown): string {
  return value instanceof RegExp ? String(value) : (JSON.stringify(value) ?? String(value));
}

/** The decorator that declares a handler of `kind`. */
export function toDecoratorName(kind: HandlerKind): string {
  return kind === 'message' ? '@MessagePattern' : '@EventPattern';
}

/** True when two patterns select the same topics: equal strings, or RegExps with equal source and flags. */
export function isSamePattern(a: HandlerPattern, b: HandlerPattern): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.source === b.source && a.flags === b.flags;
}

function resolveParam(param: ParamMetadata | undefined, payload: unknown, context: KafkaContext): unknown {
  if (param === undefined) return undefined;
  if (param.kind === 'context') return context;
  if (param.property === undefined) return payload;
  return payload === null || payload === undefined
    ? undefined
    : (payload as Record<string, unknown>)[param.property];
}

function assertPattern(pattern: unknown, decorator: string, member: string): void {
  if (pattern instanceof RegExp || (typeof pattern === 'string' && pattern.length > 0)) return;
  throw invalid(`${decorator} on ${member}: the pattern must be a non-empty topic name or a RegExp`, member);
}

function assertExactlyOnce(entry: PatternMetadata, decorator: string, member: string): void {
  const exactlyOnce: unknown = entry.options?.exactlyOnce;
  if (exactlyOnce === undefined || exactlyOnce === false) return;
  if (exactlyOnce !== true) {
    throw invalid(
      `${decorator} on ${member}: option exactlyOnce must be true or false, got ${describeValue(exactlyOnce)}`,
      `${member}.exactlyOnce`,
    );
  }
  if (entry.kind === 'message') {
    throw invalid(
      `${decorator} on ${member}: option exactlyOnce is for @EventPattern only. Request/reply is at-least-once by design (a redelivered request is answered again and the caller keeps the first reply): use @EventPattern(topic, { exactlyOnce: true }) for consume-transform-produce`,
      `${member}.exactlyOnce`,
    );
  }
  if (entry.pattern instanceof RegExp) {
    throw invalid(
      `${decorator} on ${member}: option exactlyOnce needs a topic name, not a RegExp: exactly-once topics are consumed by a group of their own, and a pattern could take topics of the other handlers`,
      `${member}.exactlyOnce`,
    );
  }
}

/** Requests are never dead-lettered: a request that failed for good gets an error reply instead. */
function assertDeadLetter(entry: PatternMetadata, decorator: string, member: string): void {
  const deadLetter: unknown = entry.options?.deadLetter;
  if (entry.kind !== 'message' || deadLetter === undefined || deadLetter === false) return;
  throw invalid(
    `${decorator} on ${member}: option deadLetter is for @EventPattern only. A request that fails for good gets an error reply, and its caller decides what to do with it: remove deadLetter, or handle the record with @EventPattern`,
    `${member}.deadLetter`,
  );
}

/**
 * Where `retryTopics` may go; its values are checked at listen() (`resolveRetryTopics`), where a NestJS
 * handler's extras are checked too.
 */
function assertRetryTopics(entry: PatternMetadata, decorator: string, member: string): void {
  const options = entry.options;
  if (options?.retryTopics === undefined) return;
  const path = `${member}.retryTopics`;
  const refuse = (why: string) => {
    throw invalid(`${decorator} on ${member}: option retryTopics ${why}`, path);
  };
  const deadLetter: unknown = (options.retryTopics as { deadLetter?: unknown }).deadLetter;
  if (entry.kind === 'message' && deadLetter !== undefined && deadLetter !== false) {
    refuse(
      'has no dead-letter topic on @MessagePattern: a request whose retries are spent gets an error reply, and its caller decides: remove retryTopics.deadLetter',
    );
  }
  if (options.exactlyOnce === true) {
    refuse(
      'cannot be combined with exactlyOnce: a record forwarded to a retry topic leaves the transaction, so its output and its offset would no longer commit together. Keep exactlyOnce (failed records go to the dead-letter topic in the transaction) or drop it',
    );
  }
  if (entry.pattern instanceof RegExp) {
    refuse('needs a topic name, not a RegExp: each source topic gets retry topics of its own');
  }
  if (options.retry !== undefined) {
    refuse('replaces in-place retries: remove option retry (each retry topic is one more run)');
  }
  if (options.deadLetter !== undefined) {
    refuse('has its own dead-letter setting: move deadLetter into retryTopics.deadLetter');
  }
}

function assertProperty(property: unknown, index: number, member: string): void {
  if (typeof property === 'string' && property.length > 0) return;
  throw invalid(
    `@Payload(${describeValue(property)}) on parameter ${index} of ${member}: the property must be a non-empty string (pipes are not supported)`,
    member,
  );
}

function invalid(message: string, member: string): RxKafkaError {
  return new RxKafkaError('RXK_INVALID_OPTIONS', message, { path: member });
}
