import type { DispatchMode } from '../connection/kafka-connection';
import type { Logger } from '../logger';
import type { ConsumerOffsets } from '../offsets/consumer-offsets';
import type { RawKafkaRecord } from '../wire/parser';
import type { HeldRecord } from './partition-pauses';

export type Ordering = 'partition' | 'key';

export interface BatchRunnerOptions {
  /** 'partition': one record at a time in offset order. 'key': records with different keys run concurrently. */
  readonly ordering: Ordering;
  /**
   * Records of one partition in flight at once: with 'key', handlers running; with both orderings, records
   * whose handlers are done but whose output Kafka has not acknowledged yet.
   */
  readonly maxInFlightPerPartition: number;
  /**
   * Handles one record. Resolves once its handlers are done (the partition's next record may start), with
   * `acked` settling once its replies or dead letters are acknowledged (its offset may then be resolved);
   * rejects, or rejects `acked`, when the record must be redelivered. `heartbeat` keeps the member in the
   * group during long handlers.
   */
  readonly handle: (
    record: RawKafkaRecord,
    heartbeat: () => Promise<void>,
  ) => HandledRecord | DeferredRecord | void | Promise<HandledRecord | DeferredRecord | void>;
  /**
   * A record was not due yet (`DeferredRecord`): the batch stops before it, leaves it and what follows it
   * unresolved, and this stops fetching the partition until `dueAtMs` (the driver fetches the partition
   * again from that record then). `held` names the record and the partition's end at that fetch, so the
   * records held back can be counted.
   */
  readonly defer?: (topic: string, partition: number, dueAtMs: number, held: HeldRecord) => void;
  /**
   * What batches may do now, read from the connection's machine (`KafkaConnection.dispatchMode`): after
   * close() began no new batch starts, and once it abandons nothing more is resolved.
   */
  readonly dispatchMode: () => DispatchMode;
  /**
   * The consumer's offsets (the connection's `offsets`): told how far each partition's finished prefix has
   * come, once per resolve; holds commits back while replies of returned batches are due (`detach`).
   */
  readonly offsets: ConsumerOffsets;
  /**
   * Lets a batch whose handlers all finished return to the consumer while some of its replies still wait
   * for Kafka's acknowledgement: the fetch position moves past the batch, and the commit stays at the
   * lowest unfinished record (a hold in `offsets.holds`, which the committer applies). Without it a batch
   * returns only once every reply is acknowledged, and kafkajs, which fetches again only when every batch
   * of a fetch has returned, holds every partition fetched with it meanwhile.
   */
  readonly detach?: DetachOptions;
}

export interface DetachOptions {
  /** Sends the partition's next fetch back to `offset`: a reply failed after its batch returned. */
  readonly seek: (topic: string, partition: number, offset: string) => void;
  readonly logger: Logger;
  /**
   * How long a batch whose handlers are done waits for its replies before it returns with them still due:
   * replies are usually acknowledged within milliseconds, and then the batch returns as without `detach`.
   * @defaultValue 200
   */
  readonly afterMs?: number;
}

/** A record whose handlers are done; `acked` settles when what they produced is in Kafka. */
export interface HandledRecord {
  readonly acked: Promise<void>;
}

/** A record that may not run before `dueAtMs` (a retry topic's record): it is left for a later fetch. */
export interface DeferredRecord {
  readonly dueAtMs: number;
}

/** What the runner did, for the drain report. */
export interface BatchRunnerStats {
  /** Records fully handled (their offsets resolved for commit). */
  readonly finished: number;
  /** Records whose handlers were still running when an abandoning close cut them off. */
  readonly abandoned: number;
}
