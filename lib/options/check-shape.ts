import { checkKnownKeys, checkObject, isObject } from './option-checks';

/**
 * The keys an options object may have, and the shapes of those of its values that are option objects in
 * turn. Values without a nested shape (tls options, functions, arrays) are not entered.
 */
export interface ConfigShape {
  readonly keys: readonly string[];
  readonly nested?: Readonly<Record<string, ConfigShape | ChooseShape>>;
}

/**
 * Picks the shape of an object from its own values (kafkajs's `sasl` takes other keys per mechanism); may
 * throw RXK_INVALID_OPTIONS when no shape fits, or return undefined to leave the object unchecked.
 */
export type ChooseShape = (path: string, value: Record<string, unknown>) => ConfigShape | undefined;

/**
 * Walks `value` (when given) against `shape`: a value that is not an object, or an unknown key at any depth,
 * throws RXK_INVALID_OPTIONS naming its full path (`client.retry.retires`) and the closest known key.
 */
export function checkShape(path: string, value: unknown, shape: ConfigShape): void {
  checkObject(path, value);
  if (!isObject(value)) return;
  checkKnownKeys(path, value, shape.keys);
  for (const [key, nested] of Object.entries(shape.nested ?? {})) {
    const itemPath = `${path}.${key}`;
    const item = value[key];
    // kafkajs treats a null retry or sasl as absent (its own default for sasl, src/network/connection.js).
    if (item === null) continue;
    checkObject(itemPath, item);
    if (!isObject(item)) continue;
    const itemShape = typeof nested === 'function' ? nested(itemPath, item) : nested;
    if (itemShape !== undefined) checkShape(itemPath, item, itemShape);
  }
}
