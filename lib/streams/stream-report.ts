/** Why a stream's group member stopped. */
export type StreamStopReason = 'drain' | 'unsubscribe' | 'error';

/**
 * What one subscription of a `consume()` stream did, from its start to the moment its member left the
 * group: the answer to "what happened to the records in flight?". Logged at info when the member stops.
 */
export interface StreamReport {
  readonly reason: StreamStopReason;
  /** True when drain()'s deadline passed and the records still unfinished were abandoned. */
  readonly timedOut: boolean;
  /** From the stop (drain() call, unsubscribe, error) to the member having left the group. */
  readonly durationMs: number;
  /** Records handed to the subscriber. */
  readonly recordsEmitted: number;
  /** Emitted records whose commit() came while the member held their partition (their offsets committable). */
  readonly recordsFinished: number;
  /** Emitted records not finished when the member stopped: not committed, redelivered to the next owner. */
  readonly recordsAbandoned: number;
  /** Records whose decoder threw: logged, skipped (not emitted) and committed past. */
  readonly decodeFailures: number;
  /** The last offset committed for each partition ("the next offset to read", as Kafka stores it). */
  readonly committed: ReadonlyArray<{ topic: string; partition: number; offset: string }>;
}
