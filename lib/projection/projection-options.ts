/** What `projection()` takes, and its validation at the door. */
import { RxKafkaError } from '../errors';
import type { ReplayOptions } from '../replay/replay-options';
import {
  checkDuration,
  checkKnownKeys,
  checkObject,
  checkPositiveInteger,
  checkRootObject,
  checkString,
  failOption,
  isObject,
  throwInvalidOption,
} from '../options/option-checks';

/** Where and how often a projection writes its state. */
export interface SnapshotOptions {
  /** The snapshot topic; created compacted (`cleanup.policy=compact`, 1 partition) when missing. */
  readonly topic: string;
  /** Write a snapshot after this many applied records (and one at close()). */
  readonly every: number;
}

export interface ProjectionOptions<S, T = unknown> extends Pick<
  ReplayOptions<T>,
  'client' | 'consumer' | 'decode' | 'logger' | 'driver' | 'groupIdPrefix'
> {
  /** The projection's name: its snapshots' key. Required with `snapshots`. @defaultValue `projection-<topic>` */
  readonly name?: string;
  /** Snapshots of the state with the source offsets they cover; without them every start replays it all. */
  readonly snapshots?: SnapshotOptions;
  /** Turns the state into JSON-serialisable data for a snapshot. @defaultValue the state as it is */
  readonly serialize?: (state: S) => unknown;
  /** Turns a snapshot's data back into a state. @defaultValue the data as it is */
  readonly deserialize?: (data: unknown) => S;
  /** How long `waitFor()` waits by default; 0: no limit. @defaultValue 30000 */
  readonly waitForTimeoutMs?: number;
}

export interface ResolvedProjectionOptions<S, T> {
  readonly name: string;
  readonly snapshots: SnapshotOptions | undefined;
  readonly serialize: (state: S) => unknown;
  readonly deserialize: (data: unknown) => S;
  readonly waitForTimeoutMs: number;
  /** What the projection's replays get: the connection options, validated by `resolveReplayOptions`. */
  readonly replay: Pick<
    ReplayOptions<T>,
    'client' | 'consumer' | 'decode' | 'logger' | 'driver' | 'groupIdPrefix'
  >;
}

const PROJECTION_OPTION_KEYS = [
  'name',
  'snapshots',
  'serialize',
  'deserialize',
  'waitForTimeoutMs',
  'client',
  'consumer',
  'decode',
  'logger',
  'driver',
  'groupIdPrefix',
] as const;

/**
 * Validates `projection()`'s arguments once; the connection options are checked again by the replays'
 * own `resolveReplayOptions` (the same rules, one place).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the option's path, the value received and the fix.
 */
export function resolveProjectionOptions<S, T>(
  topic: unknown,
  reducer: unknown,
  options: ProjectionOptions<S, T>,
): ResolvedProjectionOptions<S, T> {
  if (typeof topic !== 'string' || topic.length === 0) {
    failOption('topic', 'a non-empty string', topic, "pass the source topic, e.g. projection('orders', …)");
  }
  if (typeof reducer !== 'function') {
    failOption('reducer', 'a function', reducer, 'pass (state, record) => nextState');
  }
  checkRootObject(options, 'ProjectionOptions');
  checkKnownKeys('', options, PROJECTION_OPTION_KEYS);
  checkString('name', options.name, { nonEmpty: true, fix: "e.g. name: 'order-totals'" });
  checkObject('snapshots', options.snapshots);
  const snapshots = options.snapshots;
  if (isObject(snapshots)) {
    checkKnownKeys('snapshots', snapshots, ['topic', 'every']);
    if (typeof snapshots.topic !== 'string' || snapshots.topic.length === 0) {
      failOption(
        'snapshots.topic',
        'a non-empty string',
        snapshots.topic,
        "e.g. snapshots: { topic: 'order-totals.snapshots', every: 1000 }",
      );
    }
    if (snapshots.topic === topic) {
      throwInvalidOption(
        'snapshots.topic',
        `option snapshots.topic must differ from the source topic ${topic}: give the snapshots a topic of their own`,
      );
    }
    if (snapshots.every === undefined)
      failOption('snapshots.every', 'a whole number of at least 1', undefined, 'e.g. every: 1000');
    checkPositiveInteger('snapshots.every', snapshots.every, 1000);
    if (options.name === undefined) {
      throwInvalidOption(
        'name',
        "option name is required with snapshots: it is the key the snapshots are written under, e.g. name: 'order-totals'",
      );
    }
  }
  for (const key of ['serialize', 'deserialize'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      failOption(key, 'a function', options[key], `pass a function or leave ${key} out`);
    }
  }
  checkDuration('waitForTimeoutMs', options.waitForTimeoutMs, 'no limit');
  const { client, consumer, decode, logger, driver, groupIdPrefix } = options;
  return Object.freeze({
    name: options.name ?? `projection-${topic}`,
    snapshots: snapshots && Object.freeze({ topic: snapshots.topic, every: snapshots.every }),
    serialize: options.serialize ?? ((state: S) => state),
    deserialize: options.deserialize ?? ((data: unknown) => data as S),
    waitForTimeoutMs: options.waitForTimeoutMs ?? 30_000,
    replay: Object.freeze({ client, consumer, decode, logger, driver, groupIdPrefix }),
  });
}

/** The error a projection's callers get once it was closed. */
export function createProjectionClosedError(name: string, topic: string): RxKafkaError {
  return new RxKafkaError('RXK_PROJECTION_CLOSED', `projection ${name} of ${topic} was closed`, { topic });
}
