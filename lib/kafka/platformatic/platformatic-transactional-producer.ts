/**
 * The @platformatic/kafka adapter of the port's transactional producer, on the library's own transactions
 * (`Producer.beginTransaction()` and its `Transaction`), with the same guarantees as kafkajs's
 * (kafkajs/kafkajs-transactional-producer.ts):
 * - connect() fences: the library's first `beginTransaction()` sends the transactional InitProducerId, which
 *   bumps the epoch (every older producer of the id is fenced, and the transaction it left open is aborted);
 *   the transaction is then cancelled, which sends nothing since it holds nothing. Later transactions reuse
 *   the producer id and epoch.
 * - sendOffsets() adds a group's offsets without a Consumer: AddOffsetsToTxn through `addConsumer`, then
 *   TxnOffsetCommit (transactional-offsets.ts).
 * - The adapter retries every step itself, the library nothing (transactional-retries.ts): a send on fresh
 *   metadata, so that it reaches a partition's new leader; a coordinator step after an answer that says
 *   "later", CONCURRENT_TRANSACTIONS in 20 ms steps. A step that cannot succeed on this producer fails the
 *   transaction, which the runtime aborts and runs again on a new producer.
 * - Fencing errors become RXK_PRODUCER_FENCED (platformatic-producer-fenced.ts), authorization refusals
 *   RXK_NOT_AUTHORIZED naming the transactional id or topic.
 */
import type { Consumer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import type { TopicPartitionOffsets } from '../fetched-batch';
import type { DriverTransaction, DriverTransactionalProducer } from '../kafka-driver';
import type { RefusedResources } from '../not-authorized';
import type { ProduceRequest, WrittenPartition } from '../record-producer';
import type { ConnectSteps } from './connect-steps';
import { PartitionPlacement, toWrittenPartitions, type NativeProducer } from './partition-placement';
import { toPlatformaticAuthorizationFailure } from './platformatic-authorization';
import type { PlatformaticKafka } from './platformatic-library';
import {
  toPlatformaticCompression,
  type PlatformaticBaseOptions,
  type PlatformaticTransactionalOptions,
} from './platformatic-options';
import { toPlatformaticProducerFenced } from './platformatic-producer-fenced';
import { ACKS_ALL } from './platformatic-producer';
import { toKafkaRefusal } from './kafka-refusal';
import { TransactionalOffsets } from './transactional-offsets';
import {
  isRetriableAtCoordinator,
  retryingConcurrentTransactions,
  toTransactionalSchedule,
} from './transactional-retries';
import {
  NO_LIBRARY_RETRIES,
  retryOnFreshMetadata,
  sendUnwrittenAgain,
  type RetryOnFreshMetadata,
} from './send-retries';

/** The library's `Transaction` (its class is not exported by name). */
type NativeTransaction = NonNullable<NativeProducer['transaction']>;

/**
 * What the first `beginTransaction()` sends in its InitProducerId: "no producer id or epoch yet". The
 * library's default is producer id 0 and epoch 0, which the coordinator reads as a known producer asking for
 * a bump (KIP-360) and answers PRODUCER_FENCED whenever the transactional id already belongs to another
 * producer id: a new member could then never take over a partition's transactional id.
 */
const NEW_PRODUCER = Object.freeze({ producerId: -1n, producerEpoch: -1 });

export interface PlatformaticTransactionalProducerSetup {
  readonly library: PlatformaticKafka;
  readonly base: PlatformaticBaseOptions;
  readonly options: PlatformaticTransactionalOptions;
  readonly transactionalId: string;
  /** The driver's connect steps, shared by its producers and consumers. */
  readonly steps: ConnectSteps;
}

export class PlatformaticTransactionalProducer implements DriverTransactionalProducer {
  readonly native: NativeProducer;
  readonly transactionalId: string;
  readonly #setup: PlatformaticTransactionalProducerSetup;
  readonly #placement: PartitionPlacement;
  readonly #offsets: TransactionalOffsets;

  constructor(setup: PlatformaticTransactionalProducerSetup) {
    this.#setup = setup;
    this.transactionalId = setup.transactionalId;
    this.native = new setup.library.Producer({
      ...setup.base,
      ...setup.options,
      transactionalId: setup.transactionalId,
      // Transactions need an idempotent producer; the library then sends one request at a time, acks all.
      idempotent: true,
      // Its retries would all go to the broker the first attempt went to: see transactional-retries.ts.
      retries: NO_LIBRARY_RETRIES,
    }) as NativeProducer;
    this.#placement = new PartitionPlacement(setup.library);
    this.#offsets = new TransactionalOffsets(setup.library, this.native);
  }

  async connect(): Promise<void> {
    await this.#setup.steps.connect(async () => {
      await retryOnFreshMetadata(() => this.native.metadata({ topics: [] }), this.#retry('metadata'));
    });
    // The transactional id is first checked here: fencing looks up its coordinator.
    await this.#mapped({ transactionalId: this.transactionalId }, async () => {
      const transaction = await this.#begin();
      await transaction.cancel();
    });
  }

  async transaction(): Promise<DriverTransaction> {
    const transaction = await this.#mapped({ transactionalId: this.transactionalId }, () => this.#begin());
    return new PlatformaticTransaction(this, transaction);
  }

  async disconnect(): Promise<void> {
    await this.native.close();
  }

  /**
   * Records placed and sent in `transaction`: their partitions added to it first (AddPartitionsToTxn, a
   * coordinator step), then the records sent, again on fresh metadata after a failure (a leader lost).
   */
  async send(transaction: NativeTransaction, request: ProduceRequest): Promise<WrittenPartition[]> {
    const topics = [...new Set(request.topicMessages.map(({ topic }) => topic))];
    const compression = toPlatformaticCompression(request.compression);
    return this.#mapped({ topics, transactionalId: this.transactionalId }, async () => {
      const retry = this.#retry('produce');
      const messages = await retryOnFreshMetadata(() => this.#placement.place(this.native, request), retry);
      if (messages.length === 0) return [];
      const metadata = await retryOnFreshMetadata(() => this.native.metadata({ topics }), retry);
      await this.#atCoordinator('addPartitionsToTransaction', () =>
        transaction.addPartitions(metadata, messages as Parameters<NativeTransaction['addPartitions']>[1]),
      );
      const result = await sendUnwrittenAgain(
        messages,
        (unwritten) =>
          transaction.send({
            messages: unwritten,
            // A transaction's records are idempotent: every in-sync replica acknowledges them.
            acks: ACKS_ALL,
            ...(compression === undefined ? {} : { compression }),
          }),
        retry,
      );
      return toWrittenPartitions(result);
    });
  }

  /** `offsets` of `groupId` added to `transaction`: AddOffsetsToTxn, then TxnOffsetCommit. */
  async sendOffsets(
    transaction: NativeTransaction,
    groupId: string,
    offsets: TopicPartitionOffsets,
  ): Promise<void> {
    await this.#mapped({ groupId, transactionalId: this.transactionalId }, async () => {
      // addConsumer() reads nothing of its consumer but `groupId` (@platformatic/kafka 1.35.0,
      // transaction.js), and the per-partition producers have no live Consumer to give it.
      const group = { groupId } as unknown as Consumer<Buffer, Buffer, Buffer, Buffer>;
      await this.#atCoordinator('addOffsetsToTransaction', () => transaction.addConsumer(group));
      const { producerId, producerEpoch } = this.native;
      if (producerId === undefined || producerEpoch === undefined) {
        throw new Error(`the transactional producer ${this.transactionalId} has no producer id`);
      }
      await this.#offsets.commit(
        { transactionalId: this.transactionalId, producerId, producerEpoch },
        groupId,
        offsets,
      );
    });
  }

  /** Ends `transaction`; one that holds nothing is cancelled in the client alone, as kafkajs does. */
  async end(transaction: NativeTransaction, commit: boolean, holdsAnything: boolean): Promise<void> {
    await this.#mapped({ transactionalId: this.transactionalId }, async () => {
      if (!holdsAnything) {
        await transaction.cancel();
        return;
      }
      try {
        await this.#atCoordinator('endTransaction', () =>
          commit ? transaction.commit() : transaction.abort(),
        );
      } catch (error) {
        // The library keeps a failed transaction as its open one and refuses every later beginTransaction();
        // the coordinator aborts it at the next fence (the runtime replaces a producer whose transaction failed).
        await transaction.cancel().catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * The library's `beginTransaction()`, again while the coordinator answers CONCURRENT_TRANSACTIONS (it still
   * aborts what a fenced producer left open). A failed begin leaves the library's transaction in place, which
   * would refuse the next one: it is cancelled.
   */
  #begin(): Promise<NativeTransaction> {
    return this.#atCoordinator('beginTransaction', async () => {
      try {
        return (await this.native.beginTransaction({ ...NEW_PRODUCER })) as NativeTransaction;
      } catch (error) {
        await this.native.transaction?.cancel().catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Runs a step the transaction coordinator answers, again while it says "later" (see
   * isRetriableAtCoordinator): CONCURRENT_TRANSACTIONS every 20 ms, anything else on the user's schedule.
   */
  #atCoordinator<T>(operationId: string, step: () => Promise<T>): Promise<T> {
    return retryOnFreshMetadata(() => retryingConcurrentTransactions(step), {
      ...this.#retry(operationId),
      isRetriable: (error) => isRetriableAtCoordinator(error, this.native.coordinatorId !== undefined),
    });
  }

  /** The user's retry schedule, run by the adapter on the producer's metadata fetched again each time. */
  #retry(operationId: string): RetryOnFreshMetadata {
    return {
      schedule: toTransactionalSchedule(this.#setup.base, this.native, operationId),
      forgetMetadata: () => this.native.clearMetadata(),
    };
  }

  /** Runs `step`, its errors as RXK_PRODUCER_FENCED, RXK_NOT_AUTHORIZED or Kafka's refusal where they are. */
  async #mapped<T>(resources: RefusedResources, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      const fenced = toPlatformaticProducerFenced(error, this.transactionalId);
      if (fenced !== error) throw fenced;
      throw (
        toPlatformaticAuthorizationFailure(error, resources, this.#setup.steps.target) ??
        toKafkaRefusal(error, this.#setup.library)
      );
    }
  }
}

/** One open transaction of a PlatformaticTransactionalProducer. */
class PlatformaticTransaction implements DriverTransaction {
  readonly #producer: PlatformaticTransactionalProducer;
  readonly #transaction: NativeTransaction;
  /** Records or offsets were added: ending it needs the coordinator. */
  #holdsAnything = false;

  constructor(producer: PlatformaticTransactionalProducer, transaction: NativeTransaction) {
    this.#producer = producer;
    this.#transaction = transaction;
  }

  sendBatch(request: ProduceRequest): Promise<WrittenPartition[]> {
    // Set before the send: a send that failed half way may have added partitions at the coordinator.
    this.#holdsAnything = true;
    return this.#producer.send(this.#transaction, request);
  }

  sendOffsets(groupId: string, offsets: TopicPartitionOffsets): Promise<void> {
    this.#holdsAnything = true;
    return this.#producer.sendOffsets(this.#transaction, groupId, offsets);
  }

  commit(): Promise<void> {
    return this.#producer.end(this.#transaction, true, this.#holdsAnything);
  }

  abort(): Promise<void> {
    return this.#producer.end(this.#transaction, false, this.#holdsAnything);
  }
}
