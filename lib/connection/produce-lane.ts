import type { SendErrorKind } from '../kafka/kafka-driver';
import type { OutgoingRecord } from '../kafka/kafka-record';
import { toSendFailure } from './send-failures';
import type { WrittenOffset } from './written-offsets';

/** One send() of the produce queue, waiting in a lane: its messages and how to settle it. */
export interface QueuedMessages {
  readonly topic: string;
  readonly messages: OutgoingRecord[];
  readonly resolve: (offsets?: WrittenOffset[]) => void;
  readonly reject: (error: unknown) => void;
  readonly wantsOffsets: boolean;
  /** Fails at once while its topic is refused (see SendOptions); other records always get Kafka's answer. */
  readonly refusable: boolean;
}

/** Entries (or the part of them) a produce request did not write, and why. */
export interface SendFailure {
  readonly error: unknown;
  /**
   * The driver's verdict on `error`. The queue's own errors (a partition left unwritten) carry their verdict
   * themselves and say `retriable` here, so `resend` alone decides whether they are sent again.
   */
  readonly kind: SendErrorKind;
  readonly entries: readonly QueuedMessages[];
  /** kafkajs reported these as written but skipped them: sending them once more is worth it. */
  readonly resend: boolean;
}

/** What a lane needs from its produce queue. */
export interface ProduceLaneOptions {
  readonly maxBatchMessages: number;
  /** Sends the entries in one request and resolves the ones it wrote; returns the others. */
  readonly sendTogether: (batch: readonly QueuedMessages[]) => Promise<SendFailure | undefined>;
  /** Called each time the lane has sent everything. */
  readonly onIdle?: () => void;
  /** The error records to `topic` fail with without a try, if it is refused now. */
  readonly refusalOf: (topic: string) => unknown;
}

/**
 * One ordered queue of produce entries with at most one request in flight: what is queued during a
 * request leaves together in the next one. A failed request is sent again entry by entry, so one bad
 * entry does not fail the others (unless the brokers are unreachable or the one topic is refused: then
 * every entry fails alike).
 */
export class ProduceLane {
  readonly #options: ProduceLaneOptions;
  #queue: QueuedMessages[] = [];
  #inFlight: readonly QueuedMessages[] = [];
  #sending: Promise<void> | undefined;

  constructor(options: ProduceLaneOptions) {
    this.#options = options;
  }

  get busy(): boolean {
    return this.#sending !== undefined;
  }

  /** True while an entry of `topic` waits or is being sent here. */
  holds(topic: string): boolean {
    const isOf = (entry: QueuedMessages): boolean => entry.topic === topic;
    return this.#inFlight.some(isOf) || this.#queue.some(isOf);
  }

  push(entry: QueuedMessages): void {
    this.#queue.push(entry);
    // setImmediate lets every message queued in the same turn of the event loop join the first request.
    this.#sending ??= new Promise<void>((done) => setImmediate(() => void this.#drain().then(done)));
  }

  /** Resolves once the lane has nothing left to send. */
  async idle(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  /** Fails every queued (not yet sent) refusable entry of `topic` with `error`. */
  rejectQueued(topic: string, error: unknown): void {
    const isRejected = (entry: QueuedMessages): boolean => entry.refusable && entry.topic === topic;
    const rejected = this.#queue.filter(isRejected);
    if (rejected.length === 0) return;
    this.#queue = this.#queue.filter((entry) => !isRejected(entry));
    for (const entry of rejected) entry.reject(error);
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch().filter((entry) => {
        const refusal = entry.refusable ? this.#options.refusalOf(entry.topic) : undefined;
        if (refusal !== undefined) entry.reject(refusal);
        return refusal === undefined;
      });
      if (batch.length === 0) continue;
      this.#inFlight = batch;
      const failure = await this.#options.sendTogether(batch);
      if (failure) await this.#retryAlone(failure, batch.length);
      this.#inFlight = [];
    }
    this.#sending = undefined;
    this.#options.onIdle?.();
  }

  async #retryAlone(failure: SendFailure, batchSize: number): Promise<void> {
    const { entries, error, kind, resend } = failure;
    const isOneTopic = entries.every((entry) => entry.topic === entries[0].topic);
    if (
      (batchSize === 1 && !resend) ||
      kind === 'lost-connection' ||
      (isOneTopic && kind === 'refused-topic')
    ) {
      rejectAll(entries, error, kind);
      return;
    }
    // One bad entry (a reply to a deleted topic, a record too large) must not fail the others: each is sent
    // again alone, in order, and so are messages kafkajs skipped. Kafka may have written part of a failed
    // request, so an entry can reach it twice (at-least-once, as any producer retry).
    for (const entry of entries) {
      const entryFailure = await this.#options.sendTogether([entry]);
      if (entryFailure) rejectAll(entryFailure.entries, entryFailure.error, entryFailure.kind);
    }
  }

  #takeBatch(): QueuedMessages[] {
    let count = 0;
    let taken = 0;
    while (
      taken < this.#queue.length &&
      (taken === 0 || count + this.#queue[taken].messages.length <= this.#options.maxBatchMessages)
    ) {
      count += this.#queue[taken].messages.length;
      taken += 1;
    }
    // In place: under load thousands of single replies wait, and copying the rest for every batch costs.
    return this.#queue.splice(0, taken);
  }
}

function rejectAll(batch: readonly QueuedMessages[], error: unknown, kind: SendErrorKind): void {
  const failure = toSendFailure(
    batch.map((entry) => entry.topic),
    error,
    kind,
  );
  for (const entry of batch) entry.reject(failure);
}
