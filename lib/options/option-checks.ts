import { RxKafkaError } from '../errors';

/** The longest delay `setTimeout` honours; Node fires a longer one after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Throws RXK_INVALID_OPTIONS with `path` in its context; `message` says what is wrong and the fix. */
export function throwInvalidOption(path: string, message: string): never {
  throw new RxKafkaError('RXK_INVALID_OPTIONS', message, { path });
}

/** Throws "option <path> must be <expected>, got <received>: <fix>". */
export function failOption(path: string, expected: string, received: unknown, fix: string): never {
  throwInvalidOption(path, `option ${path} must be ${expected}, got ${describeReceived(received)}: ${fix}`);
}

/**
 * Names a received value for an error message. Objects are described by their keys, never their
 * contents, so a secret (a SASL password) cannot leak into a log.
 */
export function describeReceived(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    return `an instance of ${(value as object).constructor?.name || 'an unnamed class'}`;
  }
  const keys = Object.keys(value);
  return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.join(', ')}`;
}

/** True for any non-array object (option groups may be class instances, e.g. a config class). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The options argument itself must be an object; `typeName` names the interface in the fix. */
export function checkRootObject(options: unknown, typeName: string): void {
  if (isObject(options)) return;
  throwInvalidOption(
    '(root)',
    `the options must be an object, got ${describeReceived(options)}: pass a ${typeName} object, or nothing for the defaults`,
  );
}

export function checkObject(path: string, value: unknown): void {
  if (value !== undefined && !isObject(value))
    failOption(path, 'an object', value, `pass an object or leave ${path} out`);
}

export function checkPositiveInteger(path: string, value: unknown, example: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    failOption(path, 'a whole number of at least 1', value, `e.g. ${lastSegment(path)}: ${example}`);
  }
}

/** A duration in milliseconds for a timer, where 0 means "none". */
export function checkDuration(path: string, value: unknown, zeroMeans: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    failOption(
      path,
      `a whole number of milliseconds from 0 to ${MAX_TIMER_MS}`,
      value,
      `use 0 for ${zeroMeans}, or e.g. ${lastSegment(path)}: 30000`,
    );
  }
}

export function checkBoolean(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    failOption(path, 'true or false', value, 'pass a boolean');
}

export function checkString(
  path: string,
  value: unknown,
  options: { nonEmpty?: boolean; fix: string },
): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || (options.nonEmpty === true && value.length === 0)) {
    failOption(path, options.nonEmpty === true ? 'a non-empty string' : 'a string', value, options.fix);
  }
}

/** Checks that `value` (when given) has every one of `methods` as a function. */
export function checkMethods(path: string, value: unknown, methods: readonly string[]): void {
  if (value === undefined) return;
  const holder =
    (typeof value === 'object' && value !== null) || typeof value === 'function' ? value : undefined;
  const missing = methods.filter(
    (method) => typeof (holder as Record<string, unknown> | undefined)?.[method] !== 'function',
  );
  if (missing.length === 0) return;
  throwInvalidOption(
    path,
    `option ${path} must have the method${methods.length > 1 ? 's' : ''} ${methods.map((m) => `${m}()`).join(', ')}, ` +
      `got ${describeReceived(value)} without ${missing.map((m) => `${m}()`).join(', ')}: pass an object implementing them`,
  );
}

/**
 * Rejects keys of `value` that are not in `known`, suggesting the closest known key when one is near
 * (a typo such as `clinet` for `client`, or `broker` for `client.brokers`). `explain` may give a better
 * reason for a particular key.
 */
export function checkKnownKeys(
  path: string,
  value: object,
  known: readonly string[],
  explain: (key: string) => string | undefined = () => undefined,
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const keyPath = path === '' ? key : `${path}.${key}`;
    const reason = explain(key) ?? suggestKey(path, key, known);
    throwInvalidOption(keyPath, `unknown option '${keyPath}': ${reason}`);
  }
}

/**
 * The candidate nearest to `word` when it is near enough to be a typo of it: at most 2 edits, or a third
 * of the word's length for longer words. Case is ignored: `partitionconcurrency` is as much a typo as
 * `partitonConcurrency`.
 */
export function findClosest(word: string, candidates: readonly string[]): string | undefined {
  const distanceTo = (candidate: string): number => editDistance(word.toLowerCase(), candidate.toLowerCase());
  const [closest] = [...candidates].sort((a, b) => distanceTo(a) - distanceTo(b));
  return closest !== undefined && distanceTo(closest) <= Math.max(2, Math.floor(word.length / 3))
    ? closest
    : undefined;
}

function suggestKey(path: string, key: string, known: readonly string[]): string {
  const closest = findClosest(key, known);
  if (closest === undefined) return `known options are ${known.join(', ')}`;
  // Nested, the full path too, so the fix can be copied as it is.
  return path === '' ? `did you mean '${closest}'?` : `did you mean '${closest}'? (${path}.${closest})`;
}

/** Levenshtein distance where swapping two neighbours counts as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}
