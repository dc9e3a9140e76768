/**
 * The handlers of a service, discovered from an inversify container and indexed by topic.
 */
import type { Container } from 'inversify';
import { RxKafkaError } from '../errors';
import type { KafkaContext } from './kafka-context';
import { assertController, listControllers, type ControllerClass } from './controller';
import type { HandlerOptions } from './handler-options';
import type { HandlerSource } from './handler-source';
import {
  describeValue,
  isSamePattern,
  readParamMetadata,
  readPatternMetadata,
  toDecoratorName,
  compileHandlerArgs,
  type HandlerKind,
  type HandlerPattern,
} from './handler-metadata';

/** One decorated method, bound to its controller instance. */
export interface HandlerDescriptor {
  readonly kind: HandlerKind;
  readonly pattern: HandlerPattern;
  /** The decorator's per-handler settings. */
  readonly options: HandlerOptions;
  /** The controller's class name. */
  readonly controller: string;
  readonly method: string;
  /**
   * Calls the method on its instance with the arguments its parameter decorators ask for (see
   * `toHandlerArgs`). Returns what the method returns (value, Promise or Observable) untouched, and
   * throws what it throws.
   */
  invoke(payload: unknown, context: KafkaContext): unknown;
}

/** What the server's consumer subscribes to. */
export interface HandlerTopics {
  /** Topic names, each once. */
  strings: string[];
  /** RegExps, each once, without the `g`/`y` flags (kafkajs tests them with `test()`, which those make stateful). */
  patterns: RegExp[];
}

/**
 * The handlers of a set of controllers, indexed for routing.
 *
 * Lookup order is registration order: controllers in the order given (or, when discovered, the order
 * their classes were decorated), then each class's methods in declaration order, a subclass's own methods
 * before inherited ones. Exact topic names win over RegExps.
 *
 * How the server routes a record on topic T (NestJS `ServerKafka.handleMessage` and `Server.getHandlerByPattern`):
 * - with `kafka_correlationId` and `kafka_replyTopic` (a request): `findMessageHandler(T)` runs and its
 *   result is the reply; without a message handler, the event handlers of T run and no reply is sent
 *   (as Nest, the caller then times out); with neither, the reply is Nest's "no matching message
 *   handler" error;
 * - without them (an event): every handler of `findEventHandlers(T)` runs; when there is none, the
 *   message handler of T runs as an event and its result is dropped.
 * One topic may thus have both a message handler and event handlers.
 */
export class HandlerRegistry implements HandlerSource {
  /** Message handlers by exact topic name. */
  readonly messageHandlers: ReadonlyMap<string, HandlerDescriptor>;
  /** Event handlers by exact topic name, in registration order. */
  readonly eventHandlers: ReadonlyMap<string, readonly HandlerDescriptor[]>;
  /** Message handlers with a RegExp pattern, in registration order. */
  readonly regExpMessageHandlers: readonly HandlerDescriptor[];
  /** Event handlers with a RegExp pattern, in registration order. */
  readonly regExpEventHandlers: readonly HandlerDescriptor[];

  /**
   * Builds the registry from the controllers `container` resolves, so their constructor injection works.
   * `controllers` defaults to every `@Controller()` class bound in the container (with
   * `autobind: true` that is every `@Controller()` class loaded, so pass the list there). Bindings must
   * resolve synchronously.
   * @throws RxKafkaError `RXK_INVALID_OPTIONS` for a class without `@Controller()`, a controller the
   *   container cannot resolve (the inversify error is the `cause`), or two message handlers on one pattern.
   */
  static fromContainer(container: Container, controllers?: readonly ControllerClass[]): HandlerRegistry {
    const classes = controllers ?? listControllers().filter((controller) => container.isBound(controller));
    const instances = [...new Set(classes)].map((controller) => resolveController(container, controller));
    return new HandlerRegistry(instances.flatMap(collectHandlers));
  }

  private constructor(handlers: readonly HandlerDescriptor[]) {
    const messageHandlers = new Map<string, HandlerDescriptor>();
    const eventHandlers = new Map<string, HandlerDescriptor[]>();
    const regExpMessageHandlers: HandlerDescriptor[] = [];
    const regExpEventHandlers: HandlerDescriptor[] = [];
    for (const handler of handlers) {
      if (handler.kind === 'message') {
        assertUniqueMessagePattern(handler, [...messageHandlers.values(), ...regExpMessageHandlers]);
        if (typeof handler.pattern === 'string') messageHandlers.set(handler.pattern, handler);
        else regExpMessageHandlers.push(handler);
      } else if (typeof handler.pattern === 'string') {
        eventHandlers.set(handler.pattern, [...(eventHandlers.get(handler.pattern) ?? []), handler]);
      } else {
        regExpEventHandlers.push(handler);
      }
    }
    this.messageHandlers = messageHandlers;
    this.eventHandlers = eventHandlers;
    this.regExpMessageHandlers = regExpMessageHandlers;
    this.regExpEventHandlers = regExpEventHandlers;
  }

  /** The message handler for `topic`: its exact-name handler, else the first RegExp handler matching it. */
  findMessageHandler(topic: string): HandlerDescriptor | undefined {
    return (
      this.messageHandlers.get(topic) ?? this.regExpMessageHandlers.find((handler) => matches(handler, topic))
    );
  }

  /** Every event handler for `topic`: its exact-name handlers, then the RegExp handlers matching it. */
  findEventHandlers(topic: string): HandlerDescriptor[] {
    return [
      ...(this.eventHandlers.get(topic) ?? []),
      ...this.regExpEventHandlers.filter((handler) => matches(handler, topic)),
    ];
  }

  /** The topics and RegExps of all handlers, for the consumer's subscription. */
  topics(): HandlerTopics {
    const patterns = new Map<string, RegExp>();
    for (const { pattern } of [...this.regExpMessageHandlers, ...this.regExpEventHandlers]) {
      const stateless = toStatelessRegExp(pattern as RegExp);
      if (!patterns.has(String(stateless))) patterns.set(String(stateless), stateless);
    }
    return {
      strings: [...new Set([...this.messageHandlers.keys(), ...this.eventHandlers.keys()])],
      patterns: [...patterns.values()],
    };
  }
}

interface ControllerInstance {
  readonly controller: ControllerClass;
  readonly instance: object;
}

function resolveController(container: Container, controller: ControllerClass): ControllerInstance {
  assertController(controller);
  try {
    return { controller, instance: container.get(controller) };
  } catch (cause) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `the container could not resolve controller ${controller.name}: ${cause instanceof Error ? cause.message : String(cause)}. Bind it with registerControllers(container, [${controller.name}]) and bind what its constructor injects`,
      { cause, path: controller.name },
    );
  }
}

function collectHandlers({ controller, instance }: ControllerInstance): HandlerDescriptor[] {
  return listMethods(Object.getPrototypeOf(instance) as object).flatMap(({ prototype, key }) => {
    const toArgs = compileHandlerArgs(readParamMetadata(prototype, key));
    return readPatternMetadata(prototype, key).map(({ kind, pattern, options = {} }): HandlerDescriptor =>
      Object.freeze({
        kind,
        pattern,
        options,
        controller: controller.name,
        method: String(key),
        // Looked up on each call, as a method call would, so a stub put on the instance takes effect.
        invoke: (payload: unknown, context: KafkaContext) =>
          (instance as Record<string | symbol, (...args: unknown[]) => unknown>)[key].apply(
            instance,
            toArgs(payload, context),
          ),
      }),
    );
  });
}

interface MethodSite {
  /** The prototype that declares the method, where its metadata lives. */
  readonly prototype: object;
  readonly key: string | symbol;
}

// Walks the prototype chain from the instance's class up to (not including) Object.prototype; the
// first declaration of a name wins, so an override hides the inherited method and its metadata.
function listMethods(start: object): MethodSite[] {
  const seen = new Set<string | symbol>(['constructor']);
  const sites: MethodSite[] = [];
  for (let prototype = start; prototype !== Object.prototype && prototype !== null;) {
    for (const key of Reflect.ownKeys(prototype)) {
      if (seen.has(key)) continue;
      seen.add(key);
      if (typeof Object.getOwnPropertyDescriptor(prototype, key)?.value === 'function')
        sites.push({ prototype, key });
    }
    prototype = Object.getPrototypeOf(prototype) as object;
  }
  return sites;
}

function assertUniqueMessagePattern(
  handler: HandlerDescriptor,
  registered: readonly HandlerDescriptor[],
): void {
  const other = registered.find((candidate) => isSamePattern(candidate.pattern, handler.pattern));
  if (other === undefined) return;
  const decorator = `${toDecoratorName('message')}(${describeValue(handler.pattern)})`;
  throw new RxKafkaError(
    'RXK_INVALID_OPTIONS',
    `${decorator} is declared on both ${other.controller}.${other.method} and ${handler.controller}.${handler.method}: a request gets one reply, so a message pattern needs exactly one handler. Keep one, or use @EventPattern for handlers that should all run`,
    { path: `${handler.controller}.${handler.method}` },
  );
}

function matches(handler: HandlerDescriptor, topic: string): boolean {
  const pattern = handler.pattern as RegExp;
  // A RegExp with the g or y flag remembers where its last match ended; start every test afresh.
  pattern.lastIndex = 0;
  return pattern.test(topic);
}

function toStatelessRegExp(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}
