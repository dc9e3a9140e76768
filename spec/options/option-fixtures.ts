import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { resolveClientOptions, resolveServerOptions } from '../../lib/options';
import type { KafkaTransportOptions, ResolvedTransportOptions } from '../../lib/options';

/** Server and client resolve the shared options alike; shared specs run against both. */
export interface Side {
  readonly name: 'resolveServerOptions()' | 'resolveClientOptions()';
  readonly postfix: '-server' | '-client';
  readonly resolve: (options?: KafkaTransportOptions) => ResolvedTransportOptions;
}

export const SIDES: readonly Side[] = [
  { name: 'resolveServerOptions()', postfix: '-server', resolve: resolveServerOptions },
  { name: 'resolveClientOptions()', postfix: '-client', resolve: resolveClientOptions },
];

/** Options as a JavaScript caller might pass them, where no type checker stands between the caller and rxkafka. */
export function unchecked<T extends object>(options: unknown): T {
  return options as T;
}

/** Runs `resolve`, expects RXK_INVALID_OPTIONS, and returns the error for further checks. */
export function catchInvalidOption(resolve: () => unknown): RxKafkaError {
  try {
    resolve();
  } catch (error) {
    expect(RxKafkaError.isRxKafkaError(error), `expected an RxKafkaError, got ${String(error)}`).to.equal(
      true,
    );
    const rxError = error as RxKafkaError;
    expect(rxError.code).to.equal('RXK_INVALID_OPTIONS');
    expect(rxError.retriable).to.equal(false);
    return rxError;
  }
  return expect.fail('expected RXK_INVALID_OPTIONS, but the options were accepted');
}

/** Freezes `value` and everything reachable from it, so any write by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  // A non-empty typed array (a Buffer) cannot be frozen; nothing writes into one here anyway.
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}

/** Every object reachable from `value` through own properties, `value` included. */
export function collectObjects(value: unknown, found: object[] = []): object[] {
  if (typeof value !== 'object' || value === null || found.includes(value)) return found;
  found.push(value);
  for (const item of Object.values(value)) collectObjects(item, found);
  return found;
}
