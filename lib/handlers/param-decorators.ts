/**
 * Parameter decorators that choose what a handler receives, with NestJS's meaning. Undecorated parameters
 * receive `undefined`; a handler with no decorated parameter at all receives the payload as its only
 * argument (as in NestJS, the context is then not passed).
 */
import { addParamMetadata } from './handler-metadata';

/**
 * The parameter receives the decoded payload (the record's value), or with `property` that property of
 * it (`undefined` when the payload is null or undefined).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` at decoration time on a constructor or static-method
 *   parameter, on a parameter that already has `@Payload` or `@Ctx`, or for an empty `property`.
 */
export function Payload(property?: string): ParameterDecorator {
  return (target, key, index) =>
    addParamMetadata(
      target,
      key,
      index,
      property === undefined ? { kind: 'payload' } : { kind: 'payload', property },
    );
}

/**
 * The parameter receives the `KafkaContext` of the record (message, topic, partition, consumer, heartbeat,
 * producer).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` at decoration time on a constructor or static-method
 *   parameter, or on a parameter that already has `@Payload` or `@Ctx`.
 */
export function Ctx(): ParameterDecorator {
  return (target, key, index) => addParamMetadata(target, key, index, { kind: 'context' });
}
