import type { Observer } from 'rxjs';
import { RemoteError, RequestTimeoutError, RxKafkaError } from '../errors';
import type { ReplyPacket } from '../wire/deserializer';

interface PendingRequest {
  readonly subscriber: Observer<unknown>;
  readonly pattern: string;
  readonly timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  repliesSeen: number;
  /** Epoch milliseconds when the request was registered. */
  readonly since: number;
  /** The request's send span, when it is traced: its trace id is read only when oldest() is asked. */
  readonly trace: RequestTrace | undefined;
}

/**
 * What a traced request's trace id is read from: its send span. Kept as it is rather than read at add(),
 * since the read validates the id (two regular expressions) and only an inspector's "why is it stuck" asks
 * for it, for one request.
 */
export interface RequestTrace {
  /** The trace id; undefined when the span's context is not valid. */
  readonly traceId?: string;
}

/** How a request ended, for its duration: its last reply (or an error reply) came, or it timed out. */
export type RequestOutcome = 'answered' | 'timed-out';

/** Told of each settled request: how it ended, its duration, its correlation id and its pattern. */
export type RequestSettledListener = (
  outcome: RequestOutcome,
  ms: number,
  id: string,
  pattern: string,
) => void;

/** The client's requests at a glance: what an inspector or a health check shows of them. */
export interface PendingRequestsSummary {
  /** Requests waiting for (more) replies now. */
  readonly pending: number;
  /** How long the oldest of them has waited, in milliseconds; 0 when none waits. */
  readonly oldestMs: number;
  /** Requests that timed out over the client's life. */
  readonly timedOut: number;
  /** Requests whose reply stream completed or errored with an error reply, over the client's life. */
  readonly answered: number;
}

/** The request that has waited longest: what a "why is it stuck" explanation names. */
export interface OldestPendingRequest {
  readonly correlationId: string;
  /** The request topic. */
  readonly pattern: string;
  /** Epoch milliseconds when it was sent. */
  readonly since: number;
  /** How long it has waited, in milliseconds. */
  readonly ageMs: number;
  /** Replies that came so far (a streamed reply waits for its last). */
  readonly repliesSeen: number;
  /** The trace id of the request (its send span), to find it in a tracing backend; absent when untraced. */
  readonly traceId?: string;
}

/**
 * The requests waiting for replies, by correlation id. Bounded, so a flood of unanswered requests fails
 * fast (RXK_PENDING_LIMIT) instead of exhausting memory; each entry leaves the table when its stream
 * ends, errors, times out or is unsubscribed.
 */
export class PendingRequests {
  readonly #entries = new Map<string, PendingRequest>();
  readonly #limit: number;
  readonly #now: () => number;
  #timedOut = 0;
  #answered = 0;
  readonly #settled = new Set<RequestSettledListener>();

  constructor(limit: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Calls `listener` when a request is answered or times out, with how long it took, its correlation id and
   * pattern; returns the remover.
   */
  onSettled(listener: RequestSettledListener): () => void {
    this.#settled.add(listener);
    return () => this.#settled.delete(listener);
  }

  /** Counts and the oldest wait; the table keeps insertion order, so the oldest entry is the first. */
  summary(): PendingRequestsSummary {
    const oldest = this.#entries.values().next();
    return {
      pending: this.#entries.size,
      oldestMs: oldest.done ? 0 : Math.max(0, this.#now() - oldest.value.since),
      timedOut: this.#timedOut,
      answered: this.#answered,
    };
  }

  /** The oldest request still waiting, or undefined when none waits (insertion order, as in summary()). */
  oldest(): OldestPendingRequest | undefined {
    const first = this.#entries.entries().next();
    if (first.done) return undefined;
    const [correlationId, entry] = first.value;
    const traceId = entry.trace?.traceId;
    return {
      correlationId,
      pattern: entry.pattern,
      since: entry.since,
      ageMs: Math.max(0, this.#now() - entry.since),
      repliesSeen: entry.repliesSeen,
      ...(traceId === undefined ? {} : { traceId }),
    };
  }

  /**
   * Registers a request. `timeoutMs` (0 = none) counts from now and starts again at each reply, so a long
   * stream of replies is not cut off while it keeps flowing. `trace` is the request's send span, if traced.
   * @throws RxKafkaError RXK_PENDING_LIMIT when the table is full.
   */
  add(
    id: string,
    pattern: string,
    subscriber: Observer<unknown>,
    timeoutMs: number,
    trace?: RequestTrace,
  ): void {
    if (this.#entries.size >= this.#limit) {
      throw new RxKafkaError(
        'RXK_PENDING_LIMIT',
        `${this.#entries.size} requests already wait for replies (maxPendingRequests is ${this.#limit}): ` +
          'wait for replies before sending more, or raise maxPendingRequests',
        { topic: pattern, retriable: true },
      );
    }
    this.remove(id); // a reused id must not leave the old entry's timer behind
    const entry: PendingRequest = {
      subscriber,
      pattern,
      timeoutMs,
      timer: undefined,
      repliesSeen: 0,
      since: this.#now(),
      trace,
    };
    this.#entries.set(id, entry);
    this.#arm(id, entry);
  }

  /** Forgets a request without notifying it (its subscriber unsubscribed). */
  remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#entries.delete(id);
  }

  /** Hands a reply to its request; false when no request waits for that id (late, or someone else's). */
  deliver(packet: ReplyPacket, topic: string, partition: number): boolean {
    const entry = this.#entries.get(packet.id);
    if (!entry) return false;
    if (packet.err !== undefined) {
      this.remove(packet.id);
      this.#settle('answered', entry, packet.id);
      entry.subscriber.error(new RemoteError(packet.err, { correlationId: packet.id, topic, partition }));
      return true;
    }
    if (!packet.isDisposed) {
      entry.repliesSeen += 1;
      this.#arm(packet.id, entry);
      entry.subscriber.next(packet.response);
      return true;
    }
    this.remove(packet.id);
    this.#settle('answered', entry, packet.id);
    // A NestJS server ends a stream whose completion came late with a separate `null` message; a NestJS
    // client emits that null. After real values it carries nothing, so it only completes the stream here.
    const isBareEnd = packet.response === null && entry.repliesSeen > 0;
    if (packet.response !== undefined && !isBareEnd) entry.subscriber.next(packet.response);
    entry.subscriber.complete();
    return true;
  }

  /** Fails one request (its request record could not be produced). */
  fail(id: string, error: unknown): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.remove(id);
    entry.subscriber.error(error);
  }

  /** Fails every request with `createError(pattern)`; returns how many there were. */
  failAll(createError: (pattern: string, id: string) => Error): number {
    const entries = [...this.#entries];
    for (const [id, entry] of entries) {
      this.remove(id);
      entry.subscriber.error(createError(entry.pattern, id));
    }
    return entries.length;
  }

  #settle(outcome: RequestOutcome, entry: PendingRequest, id: string): void {
    if (outcome === 'answered') this.#answered += 1;
    else this.#timedOut += 1;
    if (this.#settled.size === 0) return;
    const ms = Math.max(0, this.#now() - entry.since);
    for (const listener of this.#settled) listener(outcome, ms, id, entry.pattern);
  }

  #arm(id: string, entry: PendingRequest): void {
    clearTimeout(entry.timer);
    if (entry.timeoutMs <= 0) return;
    entry.timer = setTimeout(() => {
      this.remove(id);
      this.#settle('timed-out', entry, id);
      entry.subscriber.error(
        new RequestTimeoutError(
          `no ${entry.repliesSeen > 0 ? 'further ' : ''}reply to ${entry.pattern} within ${entry.timeoutMs} ms ` +
            `(correlation id ${id}, ${entry.repliesSeen} replies so far): is a server consuming ${entry.pattern}, and does it reply?`,
          { timeoutMs: entry.timeoutMs, topic: entry.pattern, correlationId: id },
        ),
      );
    }, entry.timeoutMs);
  }
}
