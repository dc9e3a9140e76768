/**
 * Controller classes: the `@Controller()` decorator and their registration in an inversify container.
 */
import { injectable, type Container, type Newable } from 'inversify';
import { RxKafkaError } from '../errors';

/** A controller class: anything `new`-able that inversify can construct. */
export type ControllerClass = Newable<object>;

// Every class decorated with @Controller() in this process, in decoration order. Inversify has no API
// that lists bindings, so discovery starts from here and keeps the classes the container binds.
const controllerClasses = new Set<ControllerClass>();

/**
 * Marks a class as an rxkafka controller: makes it `@injectable()` for inversify (so constructor
 * injection works; do not add `@injectable()` yourself) and records it for `registerControllers()` and
 * `HandlerRegistry.fromContainer()` discovery.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` when inversify refuses the class (e.g. it already has
 *   `@injectable()` or `@Controller()`).
 */
export function Controller(): ClassDecorator {
  return (target) => {
    try {
      injectable()(target);
    } catch (cause) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `@Controller() could not make ${target.name} injectable: ${toMessage(cause)}. @Controller() applies @injectable() itself: remove a separate @injectable() or a second @Controller()`,
        { cause, path: target.name },
      );
    }
    controllerClasses.add(target as unknown as ControllerClass);
  };
}

/** True for a class decorated with `@Controller()` itself (a subclass needs its own decorator). */
export function isController(value: unknown): value is ControllerClass {
  return typeof value === 'function' && controllerClasses.has(value as ControllerClass);
}

/** Every `@Controller()` class loaded in this process, in decoration order. */
export function listControllers(): ControllerClass[] {
  return [...controllerClasses];
}

/**
 * Binds each controller to itself as a singleton. Idempotent: a class the container already resolves
 * (`container.isBound`) keeps its binding.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for a class not decorated with `@Controller()`.
 */
export function registerControllers(container: Container, controllers: readonly ControllerClass[]): void {
  for (const controller of controllers) {
    assertController(controller);
    if (container.isBound(controller)) continue;
    container.bind(controller).toSelf().inSingletonScope();
  }
}

/**
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` unless `value` is a `@Controller()` class.
 */
export function assertController(value: unknown): asserts value is ControllerClass {
  if (isController(value)) return;
  const name = typeof value === 'function' ? value.name : String(value);
  throw new RxKafkaError(
    'RXK_INVALID_OPTIONS',
    `${name} is not a controller: decorate the class with @Controller() (from rxkafka)`,
    { path: name },
  );
}

function toMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
