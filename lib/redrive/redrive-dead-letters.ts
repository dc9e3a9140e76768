/**
 * `redriveDeadLetters()`: a dead-letter topic's records written back to the topics they came from, each once,
 * with the re-drive's progress kept in a consumer group of its own.
 */
import type { Subscription } from 'rxjs';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import type { KafkaConnection } from '../connection/kafka-connection';
import { publishDeadLettersRedriven } from '../diagnostics/publish-diagnostics';
import { RxKafkaError } from '../errors';
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { KafkaDriver } from '../kafka/kafka-driver';
import type { FetchedRecord, OutgoingRecord } from '../kafka/kafka-record';
import { createDriver } from '../options/create-driver';
import { resolveRedriveOptions, type RedriveOptions, type ResolvedRedriveOptions } from './redrive-options';
import { readOriginalTopic, toRedrivenRecord, type RedriveSkipReason } from './redriven-record';

/** A dead letter a re-drive passed over (and committed past: it is not offered again). */
export interface SkippedDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly reason: RedriveSkipReason;
  /** The topic its header names, when it names one. */
  readonly originalTopic?: string;
}

/** What one re-drive did. */
export interface RedriveReport {
  /** The dead-letter topic. */
  readonly topic: string;
  readonly groupId: string;
  readonly by: string;
  /** Dead letters written back, each acknowledged by Kafka before its offset was committed. */
  readonly redriven: number;
  readonly skipped: readonly SkippedDeadLetter[];
  /** Re-driven dead letters per original topic. */
  readonly byTopic: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/**
 * Reads the dead-letter topic `options.topic` up to the end offsets it has when the call starts and writes
 * each dead letter back to the topic its `kafka_dlt-original-topic` header names: same key and value, the
 * user's headers, without the dead-letter and retry headers, plus `kafka_redriven-from`, `kafka_redriven-by`
 * and `kafka_redriven-at` (`RedriveHeaders`). Progress is the consumer group `groupId`'s: a dead letter's
 * offset is committed only after Kafka acknowledged its copy, so a second call re-drives only what came
 * since. A crash between the two re-drives that dead letter again next time (at least once). A dead letter
 * without the header, or naming a topic the cluster does not have, is skipped and reported, never retried.
 * Run one re-drive of a topic at a time: two share the group and each waits for partitions the other holds.
 *
 * @throws RxKafkaError (rejects) RXK_INVALID_OPTIONS for bad options, before connecting; RXK_TOPIC_NOT_FOUND when
 *   the dead-letter topic does not exist, and with the send's error (RXK_SEND_FAILED) when a write fails
 *   (what was acknowledged before it is committed).
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveReport> {
  const resolved = resolveRedriveOptions(options);
  const { driver: option, kafkaConfig, logger } = resolved.transport;
  return new RedriveRun(resolved, createDriver(option, kafkaConfig, logger)).run();
}

/** One call's read: the end offsets to reach, what it wrote and skipped, its connection. */
class RedriveRun {
  readonly #options: ResolvedRedriveOptions;
  readonly #driver: KafkaDriver;
  readonly #startedAt = Date.now();
  /** Per partition, the end offset captured at the start. */
  readonly #ends = new Map<number, bigint>();
  /** Partitions not yet read up to their end. */
  readonly #behind = new Set<number>();
  readonly #topics = new Map<string, Promise<boolean>>();
  readonly #skipped: SkippedDeadLetter[] = [];
  readonly #byTopic: Record<string, number> = {};
  #redriven = 0;
  #failed = false;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(options: ResolvedRedriveOptions, driver: KafkaDriver) {
    this.#options = options;
    this.#driver = driver;
  }

  async run(): Promise<RedriveReport> {
    const { topic, groupId } = this.#options;
    const [ends, lows, committed] = await Promise.all([
      this.#driver.fetchEndOffsets(topic),
      this.#driver.fetchStartOffsets(topic),
      this.#driver.fetchCommittedOffsets(groupId, topic),
    ]);
    const low = new Map(lows.map(({ partition, low: offset }) => [partition, BigInt(offset)]));
    const done = new Map(committed.map(({ partition, offset }) => [partition, BigInt(offset)]));
    for (const { partition, high } of ends) {
      const end = BigInt(high);
      this.#ends.set(partition, end);
      // A group without a commit (-1) starts at the earliest offset still kept.
      const start = [done.get(partition) ?? -1n, low.get(partition) ?? 0n].reduce((a, b) => (a > b ? a : b));
      if (start < end) this.#behind.add(partition);
    }
    if (this.#behind.size > 0) await this.#read();
    return this.#report();
  }

  async #read(): Promise<void> {
    const transport = this.#options.transport;
    const connection = createKafkaConnection(
      {
        driver: this.#driver,
        clientId: transport.clientId,
        logger: transport.logger,
        producerConfig: transport.producerConfig,
        sendConfig: transport.sendConfig,
        consumerConfig: transport.consumerConfig,
      },
      {
        kind: 'consumer',
        groupId: this.#options.groupId,
        topics: [this.#options.topic],
        fromBeginning: true,
        eachBatch: (batch) => this.#onBatch(connection, batch),
      },
    );
    const finished = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    const watches: Subscription[] = [
      connection.status$.subscribe((status) => {
        if (status !== 'failed') return;
        this.#fail(
          new RxKafkaError('RXK_NOT_CONNECTED', `re-drive of ${this.#options.topic} lost its connection`, {
            topic: this.#options.topic,
            state: 'failed',
          }),
        );
      }),
      connection.skips$.subscribe(({ partition, lastOffset }) =>
        this.#reached(partition, BigInt(lastOffset) + 1n),
      ),
    ];
    try {
      await Promise.all([connection.connect(), finished]);
    } finally {
      for (const watch of watches) watch.unsubscribe();
      // The drain commits what was resolved: every dead letter whose copy Kafka acknowledged, or skipped.
      await connection.close('drain');
      connection.dispose();
    }
  }

  /**
   * Writes the batch's dead letters (those before the captured end) back, one send per original topic, and
   * resolves the offsets of the prefix whose copies were acknowledged (or that were skipped).
   */
  async #onBatch(connection: KafkaConnection, payload: FetchedBatch): Promise<void> {
    const { partition, messages } = payload.batch;
    const end = this.#ends.get(partition) ?? 0n;
    if (this.#failed || payload.isStale() || !this.#behind.has(partition)) return;
    const letters = messages.filter((message) => BigInt(message.offset) < end);
    // Records the read passed without seeing (compacted away, transaction markers): nothing left below the end.
    if (letters.length === 0 && messages.length > 0) this.#reached(partition, end);
    const plans = await Promise.all(letters.map((letter) => this.#plan(letter, partition)));
    const sends = new Map<string, OutgoingRecord[]>();
    for (const plan of plans) {
      if (plan.kind === 'send') sends.set(plan.topic, [...(sends.get(plan.topic) ?? []), plan.record]);
    }
    const settled = new Map(
      await Promise.all(
        [...sends].map(async ([topic, records]) => {
          const outcome = await connection.produceQueue.sendForOffsets(topic, records).then(
            () => undefined,
            (error: unknown) => ({ error }),
          );
          return [topic, outcome] as const;
        }),
      ),
    );
    let resolved: string | undefined;
    for (const plan of plans) {
      if (plan.kind === 'send') {
        const failure = settled.get(plan.topic);
        if (failure) {
          this.#fail(failure.error);
          break;
        }
        this.#redriven += 1;
        this.#byTopic[plan.topic] = (this.#byTopic[plan.topic] ?? 0) + 1;
      } else {
        this.#skip(partition, plan);
      }
      resolved = plan.offset;
    }
    if (resolved === undefined) return;
    payload.resolveOffset(resolved);
    const covered = resolved === letters.at(-1)?.offset ? payload.batch.lastOffset?.() : undefined;
    this.#reached(partition, BigInt(covered ?? resolved) + 1n);
  }

  async #plan(letter: FetchedRecord, partition: number): Promise<Plan> {
    const { offset } = letter;
    const originalTopic = readOriginalTopic(letter.headers);
    if (originalTopic === undefined) return { kind: 'skip', offset, reason: 'no-original-topic' };
    if (!(await this.#exists(originalTopic))) {
      return { kind: 'skip', offset, reason: 'unknown-topic', originalTopic };
    }
    const { topic, by, filter } = this.#options;
    const headers = letter.headers ?? {};
    if (filter && !filter({ ...letter, topic, partition, headers, originalTopic })) {
      return { kind: 'skip', offset, reason: 'filtered', originalTopic };
    }
    const record = toRedrivenRecord(letter, { deadLetterTopic: topic, partition, by, atMs: Date.now() });
    return { kind: 'send', offset, topic: originalTopic, record };
  }

  /** Whether the cluster has `topic`, asked once per run (a producer might create it, or fail slowly). */
  #exists(topic: string): Promise<boolean> {
    let known = this.#topics.get(topic);
    if (!known) {
      known = this.#driver.fetchEndOffsets(topic).then(
        () => true,
        (error: unknown) => {
          if (RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_TOPIC_NOT_FOUND') return false;
          throw error;
        },
      );
      this.#topics.set(topic, known);
    }
    return known;
  }

  #skip(partition: number, plan: SkipPlan): void {
    const { offset, reason, originalTopic } = plan;
    this.#skipped.push(
      originalTopic === undefined
        ? { partition, offset, reason }
        : { partition, offset, reason, originalTopic },
    );
    this.#options.transport.logger.warn(
      `re-drive of ${this.#options.topic}: skipped the dead letter at partition ${partition} offset ${offset} (${reason})`,
      { topic: this.#options.topic, partition, offset, reason, ...(originalTopic ? { originalTopic } : {}) },
    );
  }

  #reached(partition: number, next: bigint): void {
    if (!this.#behind.has(partition) || next < (this.#ends.get(partition) ?? 0n)) return;
    this.#behind.delete(partition);
    if (this.#behind.size === 0) this.#settle?.resolve();
  }

  #fail(error: unknown): void {
    this.#failed = true;
    this.#settle?.reject(error);
  }

  #report(): RedriveReport {
    const { topic, groupId, by } = this.#options;
    const report: RedriveReport = {
      topic,
      groupId,
      by,
      redriven: this.#redriven,
      skipped: this.#skipped,
      byTopic: { ...this.#byTopic },
      durationMs: Date.now() - this.#startedAt,
    };
    this.#options.transport.logger.info(
      `re-drive of ${topic} by ${by}: ${report.redriven} re-driven, ${report.skipped.length} skipped`,
      {
        topic,
        groupId,
        by,
        redriven: report.redriven,
        skipped: report.skipped.length,
        byTopic: report.byTopic,
      },
    );
    publishDeadLettersRedriven(() => ({
      topic,
      groupId,
      by,
      redriven: report.redriven,
      skipped: report.skipped.length,
      byTopic: report.byTopic,
      durationMs: report.durationMs,
    }));
    return report;
  }
}

type SkipPlan = {
  readonly kind: 'skip';
  readonly offset: string;
  readonly reason: RedriveSkipReason;
  readonly originalTopic?: string;
};

type Plan =
  | SkipPlan
  | {
      readonly kind: 'send';
      readonly offset: string;
      readonly topic: string;
      readonly record: OutgoingRecord;
    };
