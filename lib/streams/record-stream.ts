import { Observable, Subject, type Subscriber } from 'rxjs';
import type { KafkaConnection } from '../connection/kafka-connection';
import { RxKafkaError } from '../errors';
import { checkDuration } from '../options/option-checks';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createDriver } from '../options/create-driver';
import type { CommittableRecord } from './committable-record';
import { resolveConsumeOptions, type ConsumeOptions, type ResolvedConsumeOptions } from './consume-options';
import { StreamMember } from './stream-member';
import type { StreamReport } from './stream-report';

/**
 * The records of Kafka topics as an Observable, with backpressure at the source (see `consume()`).
 * Cold: each subscription is one member of the consumer group, with a KafkaConnection of its own, and
 * one subscription at a time: subscribe again once the previous one ended.
 */
export class RecordStream<T = unknown> extends Observable<CommittableRecord<T>> {
  readonly #members: StreamMembers<T>;

  constructor(options: ConsumeOptions<T>) {
    const members = new StreamMembers(resolveConsumeOptions(options));
    super((subscriber) => members.subscribe(subscriber));
    this.#members = members;
  }

  /**
   * Stops intake, completes the observable (so downstream operators finish their in-flight inner work),
   * waits until every emitted record is finished or `deadlineMs` passes (then abandons the rest), commits
   * what finished and leaves the group. Resolves with the report; undefined when nothing is subscribed
   * and nothing ever was. @defaultValue deadlineMs: the stream's `drainTimeoutMs` (0: no deadline)
   * @throws RxKafkaError RXK_INVALID_OPTIONS (rejects) for a deadline that is not a whole number of ms.
   */
  async drain(deadlineMs?: number): Promise<StreamReport | undefined> {
    checkDuration('deadlineMs', deadlineMs, 'no deadline');
    return this.#members.drain(deadlineMs);
  }

  /** Records of a partition emitted and not yet finished at most (the `bufferSize` option). */
  get bufferSize(): number {
    return this.#members.bufferSize;
  }

  /** The report of the last subscription that stopped (drained, unsubscribed or failed). */
  get lastReport(): StreamReport | undefined {
    return this.#members.lastReport;
  }

  /** One report per subscription that stops, as it stops. */
  get reports$(): Observable<StreamReport> {
    return this.#members.reports$;
  }

  /**
   * The live subscription's connection actor (status$, assignment$, partitions), for the inspector.
   * @throws RxKafkaError RXK_NOT_CONNECTED while nothing is subscribed.
   */
  get connection(): KafkaConnection {
    const member = this.#members.current;
    if (!member) {
      throw new RxKafkaError('RXK_NOT_CONNECTED', 'the stream has no connection: subscribe to it first');
    }
    return member.connection;
  }
}

/**
 * Topics as an observable of records (`CommittableRecord`), each with its `commit()`. Each subscription
 * joins `groupId`; at most `bufferSize` records of a partition are emitted and not finished at a time, and
 * a partition with that many is paused at the source (its batch is held, so kafkajs fetches nothing more
 * for it): a slow subscriber holds bounded memory. Offsets are committed only below the lowest unfinished
 * record of each partition. Unsubscribing stops at once: records not finished are not committed (the next
 * owner of their partition gets them again); `drain()` finishes them first. Either way the stream commits
 * what finished, leaves the group, and logs and publishes a `StreamReport`.
 *
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` at once for invalid options.
 */
export function consume<T = unknown>(options: ConsumeOptions<T>): RecordStream<T> {
  return new RecordStream(options);
}

/** The subscriptions of one stream, one at a time, and the reports of those that stopped. */
class StreamMembers<T> {
  readonly #options: ResolvedConsumeOptions<T>;
  readonly #reports = new Subject<StreamReport>();
  #driver: KafkaDriver | undefined;
  current: StreamMember<T> | undefined;
  lastReport: StreamReport | undefined;

  constructor(options: ResolvedConsumeOptions<T>) {
    this.#options = options;
  }

  get reports$(): Observable<StreamReport> {
    return this.#reports.asObservable();
  }

  get bufferSize(): number {
    return this.#options.bufferSize;
  }

  subscribe(subscriber: Subscriber<CommittableRecord<T>>): () => void {
    if (this.current) {
      subscriber.error(
        new RxKafkaError(
          'RXK_ALREADY_SUBSCRIBED',
          `the stream of group ${this.#options.groupId} already has a subscriber: a stream is one group member ` +
            'at a time; subscribe once (share() the records) or call consume() once per member',
        ),
      );
      return () => undefined;
    }
    // One driver (kafkajs client) per stream, built on first use: its members come and go.
    this.#driver ??= createDriver(this.#options.driver, this.#options.kafkaConfig, this.#options.logger);
    const member = new StreamMember(this.#options, this.#driver, subscriber);
    this.current = member;
    member.start();
    return () =>
      void this.#settle(member, member.abandonAndLeave()).catch((error: unknown) =>
        this.#options.logger.error(`stream of group ${this.#options.groupId} failed to leave its group`, {
          error,
        }),
      );
  }

  async drain(deadlineMs = this.#options.drainTimeoutMs): Promise<StreamReport | undefined> {
    const member = this.current;
    if (!member) return this.lastReport;
    return this.#settle(member, member.drain(deadlineMs));
  }

  /** Records the member's report once it left; the next subscription may then start. */
  async #settle(member: StreamMember<T>, leaving: Promise<StreamReport>): Promise<StreamReport> {
    const report = await leaving;
    if (this.current === member) {
      this.current = undefined;
      this.lastReport = report;
      this.#reports.next(report);
    }
    return report;
  }
}
