/**
 * A group consumer on @platformatic/kafka: its `consume()` stream read a buffer at a time and handed to the
 * runtime as one batch per partition, commits through its commit API, seeks on the stream's fetch positions.
 *
 * @platformatic/kafka destroys a consume stream on any error and never restarts it (platformatic/kafka#41),
 * and a closed consumer cannot be opened again. This adapter does what kafkajs does after a crash: it reports
 * `crashed` with `restart: true` (the connection waits in `reconnecting` for the rejoin), builds a new
 * consumer and stream, and reports the join. It gives up with `restart: false` after RESTART_DELAYS_MS, unless
 * the broker is still out of reach: then it keeps trying.
 *
 * With `groupProtocol: 'consumer'` (KIP-848) the broker moves single partitions and @platformatic/kafka
 * reports no event for it: it changes `consumer.assignments` after a heartbeat. This adapter reads that
 * assignment after each heartbeat and before each delivery, and reports what changed as `partitions.assigned`
 * and `partitions.revoked`. @platformatic/kafka acknowledges a revocation at its next heartbeat without waiting
 * for the records already handed over: they finish here, and their partition's next owner may read again
 * those not committed yet (at least once).
 */
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka' with {
  'resolution-mode': 'import',
};
import { RxKafkaError } from '../../errors';
import { leaveOutAbortedRecords, type FetchingClient } from './aborted-batches';
import type { Logger } from '../../logger';
import type { TopicPartitionOffsets } from '../fetched-batch';
import type { ConsumeSettings, DriverConsumer, DriverConsumerEvent, GroupProtocol } from '../kafka-driver';
import { toUnknownTopicFailure } from '../topic-not-found';
import type { ConnectSteps } from './connect-steps';
import { toGroupJoinedEvent, type GroupJoinPayload } from './group-events';
import type { PartitionBatch } from './partition-batches';
import { refuseClassicOnlyOptions, toTopicNames } from './consumer-refusals';
import { PlatformaticBatch, type BatchOwner } from './platformatic-batch';
import { isUnknownTopic } from './platformatic-errors';
import type { PlatformaticKafka } from './platformatic-library';
import {
  toPlatformaticRunOptions,
  type PlatformaticBaseOptions,
  type PlatformaticConsumerOptions,
} from './platformatic-options';
import { toFetchedRecord } from './platformatic-records';
import { RecordReader } from './record-reader';
import { ResolvedOffsets } from './resolved-offsets';
import { runConcurrently } from './run-concurrently';
import { fromPartitionKey, toAssignment, toTopicPartitionOffsets } from './partition-keys';
import { RecordHandOver } from './record-hand-over';
import { mayRestartAgain, RESTART_DELAYS_MS } from './restart-policy';
import { requireTopics } from './require-topics';
import {
  closeLeavingGroup,
  closeOrRemoveMember,
  closeWithoutLeaving,
  removeGroupMember,
} from './stranded-member';
import { WithdrawableCommits } from './withdrawable-commits';

type NativeConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
type NativeStream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;
type NativeMessage = Message<Buffer, Buffer, Buffer, Buffer>;
type NativeCommitOffset = { topic: string; partition: number; offset: bigint; leaderEpoch: number };

export interface PlatformaticConsumerSetup {
  readonly library: PlatformaticKafka;
  readonly base: PlatformaticBaseOptions;
  readonly groupId: string;
  readonly options: PlatformaticConsumerOptions;
  readonly logger: Logger;
  /** @defaultValue `'classic'` */
  readonly groupProtocol?: GroupProtocol;
  /** The driver's connect steps, shared by its producers and consumers. */
  readonly steps: ConnectSteps;
  /** The names of the cluster's topics (asked on a client of its own). */
  readonly listTopics: () => Promise<string[]>;
  /** The waits before each restart after a crash (a spec shortens them). @defaultValue RESTART_DELAYS_MS */
  readonly restartDelaysMs?: readonly number[];
}

export class PlatformaticConsumer implements DriverConsumer, BatchOwner {
  readonly offsets = new ResolvedOffsets();
  readonly #setup: PlatformaticConsumerSetup;
  readonly #listeners = new Set<(event: DriverConsumerEvent) => void>();
  readonly #handOver: RecordHandOver;
  /** The stream whose reader waits for records with everything read so far handled (see #reportSkipped). */
  #waitingOn: NativeStream | undefined;
  #native: NativeConsumer | undefined;
  #stream: NativeStream | undefined;
  #settings: ConsumeSettings | undefined;
  readonly #commits = new WithdrawableCommits<NativeCommitOffset>();
  #running = false;
  #restarting = false;
  #generation = 0;

  constructor(setup: PlatformaticConsumerSetup) {
    this.#setup = setup;
    if (this.#isIncremental()) refuseClassicOnlyOptions(setup.options);
    this.#handOver = new RecordHandOver({ offsets: this.offsets, incremental: this.#isIncremental() });
  }

  /** The current @platformatic/kafka `Consumer` (a new one after each connect or restart). */
  get native(): unknown {
    return this.#native;
  }

  get generation(): number {
    return this.#generation;
  }

  isRunning(): boolean {
    return this.#running;
  }

  seeksOf(topic: string, partition: number): number {
    return this.#handOver.seeksOf(topic, partition);
  }

  async connect(): Promise<void> {
    await this.#closeNative();
    const native = this.#createNative();
    await this.#setup.steps.connect(async () => {
      await native.metadata({ topics: [] });
    });
  }

  async disconnect(): Promise<void> {
    this.#running = false;
    await this.#closeNative();
  }

  async consume(settings: ConsumeSettings): Promise<void> {
    const topics = toTopicNames(settings.topics);
    toPlatformaticRunOptions((settings.librarySettings ?? {}) as Record<string, unknown>);
    // A refused group or topic fails the join at once: RXK_NOT_AUTHORIZED, not a connect retried to its timeout.
    await this.#setup.steps.authorized(
      async () => {
        await requireTopics(this.#setup, () => this.#native, topics);
        this.#settings = settings;
        this.#running = true;
        await this.#startStream(settings);
      },
      { topics, groupId: this.#setup.groupId },
    );
  }

  seek(topic: string, partition: number, offset: string): void {
    this.offsets.seek(topic, partition, offset);
    this.#handOver.moveTo(topic, partition, BigInt(offset));
  }

  /** See PausedPartitions: the partition's records are dropped until resume() seeks back to them. */
  pause(topic: string, partition: number): void {
    this.#handOver.pause(topic, partition);
  }

  resume(topic: string, partition: number): void {
    this.#handOver.resume(topic, partition);
  }

  async commitOffsets(
    offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>,
  ): Promise<void> {
    const native = this.#native;
    if (!native) {
      throw new RxKafkaError(
        'RXK_NOT_CONNECTED',
        `consumer of group ${this.#setup.groupId} is not connected`,
      );
    }
    // leaderEpoch -1: "unknown", which Kafka accepts; the stream does not say which epoch it read at.
    const toCommit = offsets.map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset: BigInt(offset),
      leaderEpoch: -1,
    }));
    const outcome = await this.#commits.commit(toCommit, (toSend) => native.commit({ offsets: toSend }));
    if (outcome === 'withdrawn') {
      // The broker refused the commit for a rebalance, and the library sent it again as a member of the
      // generation it rejoined, emptied (see WithdrawableCommits): as kafkajs's commitOffsets during a
      // rebalance, this rejects with the broker's refusal, and nothing is recorded as committed.
      throw new this.#setup.library.ProtocolError('REBALANCE_IN_PROGRESS');
    }
    this.offsets.committed(offsets);
    this.#emit({ type: 'offsets.committed', offsets: toTopicPartitionOffsets(offsets) });
  }

  commit(offsets: TopicPartitionOffsets): Promise<void> {
    return this.commitOffsets(
      offsets.topics.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
      ),
    );
  }

  onEvent(listener: (event: DriverConsumerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: DriverConsumerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #isIncremental(): boolean {
    return this.#setup.groupProtocol === 'consumer';
  }

  #createNative(): NativeConsumer {
    const { library, base, groupId, options } = this.#setup;
    const native = new library.Consumer({
      ...base,
      ...options,
      ...(this.#isIncremental() ? { groupProtocol: 'consumer' } : {}),
      groupId,
      autocommit: false,
    }) as NativeConsumer;
    // Its stream hands over what its fetches answer: under read_committed, with no aborted record.
    leaveOutAbortedRecords(native as unknown as FetchingClient);
    native.on('consumer:group:join', (payload: GroupJoinPayload) => {
      if (native !== this.#native) return;
      // A commit refused for this rebalance would be sent again into the new generation: see
      // WithdrawableCommits.
      this.#commits.withdrawAll();
      this.#generation += 1;
      // The stream starts every partition again at the group's committed offset (another member may have
      // moved it meanwhile): a resolved offset from before the join would skip or rewind it.
      this.offsets.clear();
      // KIP-848's join says no partitions: they are in the assignment the heartbeats keep.
      const event = toGroupJoinedEvent(
        this.#isIncremental() ? { ...payload, assignments: native.assignments ?? [] } : payload,
      );
      this.#handOver.joined(event.type === 'group.joined' ? event.assignment : undefined);
      this.#emit(event);
    });
    native.on('consumer:group:rebalance', () => {
      if (native !== this.#native) return;
      this.#generation += 1;
      this.#handOver.rebalancing();
      this.#emit({ type: 'rebalancing' });
    });
    if (this.#isIncremental()) {
      native.on('consumer:heartbeat:end', () => {
        if (native === this.#native) this.#reportAssignmentChanges(native);
      });
    }
    // A failed rejoin after a heartbeat error: the consumer is out of its group.
    native.on('error', (error: unknown) => {
      if (native === this.#native) this.#crash(error);
    });
    this.#native = native;
    return native;
  }

  async #startStream(settings: ConsumeSettings): Promise<void> {
    const native = this.#native;
    if (!native) {
      throw new RxKafkaError(
        'RXK_NOT_CONNECTED',
        `consumer of group ${this.#setup.groupId}: connect() first`,
      );
    }
    const topics = toTopicNames(settings.topics);
    let stream: NativeStream;
    try {
      stream = await native.consume({
        topics,
        // The group's committed offsets, and where it has none the start the subscription asks for.
        mode: 'committed',
        fallbackMode: settings.fromBeginning ? 'earliest' : 'latest',
        autocommit: false,
      });
    } catch (error) {
      if (isUnknownTopic(error))
        throw toUnknownTopicFailure(error, this.#setup.base.clientId, topics, undefined);
      throw error;
    }
    this.#stream = stream;
    this.#handOver.streamStarted(stream.offsetsToFetch);
    stream.on('error', (error: unknown) => {
      if (stream === this.#stream) this.#crash(error);
    });
    stream.on('offsets', () => {
      if (stream === this.#stream) this.#handOver.startFromRejoinPositions();
    });
    // A fetch's records are pushed right after this event, in the same turn: look once they are.
    stream.on('fetch', () => setImmediate(() => this.#reportSkipped(stream)));
    void this.#read(stream, settings);
  }

  async #read(stream: NativeStream, settings: ConsumeSettings): Promise<void> {
    const reader = new RecordReader<NativeMessage>(stream);
    const { partitionsConsumedConcurrently } = toPlatformaticRunOptions(
      (settings.librarySettings ?? {}) as Record<string, unknown>,
    );
    for (;;) {
      this.#waitingOn = stream;
      this.#reportSkipped(stream);
      const read = await reader.next();
      this.#waitingOn = undefined;
      if (read === null) return;
      if (stream !== this.#stream || !this.#running) return;
      if (this.#isIncremental() && this.#native) this.#reportAssignmentChanges(this.#native);
      const batches = this.#handOver.selectDeliverable(read);
      try {
        await runConcurrently(batches, partitionsConsumedConcurrently, (batch) =>
          this.#handle(batch, settings),
        );
      } catch (error) {
        // As with kafkajs, a batch that fails restarts the consumer from the committed offsets.
        if (stream === this.#stream) this.#crash(error);
        return;
      }
    }
  }

  /**
   * Reports the partitions whose position the stream moved past their last record handed over (a fetch of
   * transaction markers only), as kafkajs's empty batches do. Only while the reader waits on an empty stream:
   * then every record fetched so far has been handed over and handled.
   */
  #reportSkipped(stream: NativeStream): void {
    if (stream !== this.#stream || this.#waitingOn !== stream || stream.readableLength > 0) return;
    for (const { key, lastOffset } of this.#handOver.findSkipped()) {
      this.#emit({ type: 'records.skipped', ...fromPartitionKey(key), lastOffset: lastOffset.toString() });
    }
  }

  /**
   * KIP-848: reports the partitions `native`'s assignment gained and lost since the last look, taken first so
   * that a partition given to another member stops being handed over before a new one starts.
   */
  #reportAssignmentChanges(native: NativeConsumer): void {
    if (!native.memberId) return;
    const { revoked, assigned } = this.#handOver.follow(native.assignments ?? []);
    if (revoked.length > 0) this.#emit({ type: 'partitions.revoked', partitions: toAssignment(revoked) });
    if (assigned.length > 0) {
      this.#emit({ type: 'partitions.assigned', partitions: toAssignment(assigned) });
    }
  }

  async #handle(batch: PartitionBatch<NativeMessage>, settings: ConsumeSettings): Promise<void> {
    const { topic, partition } = batch;
    const records = batch.messages.map(toFetchedRecord);
    const payload = new PlatformaticBatch(topic, partition, records, this);
    await settings.eachBatch(payload);
    if (payload.isStale() || !this.#running) return;
    // kafkajs fetches a partition again after its last resolved offset: records a batch returned without
    // resolving (a close began, a handler gave up the batch) come again.
    const first = BigInt(records[0].offset);
    const last = BigInt(records[records.length - 1].offset);
    const resolved = this.offsets.lastResolved(topic, partition);
    if (resolved !== undefined && resolved >= last) return;
    const from = resolved !== undefined && resolved >= first ? resolved + 1n : first;
    this.#handOver.moveTo(topic, partition, from);
  }

  #crash(error: unknown): void {
    if (!this.#running || this.#restarting) return;
    this.#restarting = true;
    this.#generation += 1;
    this.#emit({ type: 'crashed', error, restart: true });
    void this.#restart(error);
  }

  async #restart(crash: unknown): Promise<void> {
    let lastError = crash;
    const delays = this.#setup.restartDelaysMs ?? RESTART_DELAYS_MS;
    for (let attempt = 0; mayRestartAgain(delays, attempt, lastError); attempt += 1) {
      const delayMs = delays[Math.min(attempt, delays.length - 1)];
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (!this.#running) break;
      try {
        // A member that could not leave (its coordinator died) is taken out, or the new one's join waits for
        // its session to time out: see stranded-member.ts.
        await this.#closeNative({ removeIfStranded: true });
        this.#handOver.restarted();
        this.offsets.clear();
        const native = this.#createNative();
        await native.metadata({ topics: [] });
        if (!this.#running || !this.#settings) break;
        await this.#startStream(this.#settings);
        this.#restarting = false;
        if (!this.#running) await this.#closeNative();
        return;
      } catch (error) {
        lastError = error;
        this.#setup.logger.warn(`consumer of group ${this.#setup.groupId}: restart failed`, { error });
      }
    }
    this.#restarting = false;
    if (!this.#running) {
      // Closed while restarting: the consumer the restart built must not outlive the close.
      await this.#closeNative();
      return;
    }
    this.#running = false;
    await this.#closeNative();
    this.#emit({ type: 'crashed', error: lastError, restart: false });
  }

  async #closeNative({ removeIfStranded = false }: { removeIfStranded?: boolean } = {}): Promise<void> {
    const native = this.#native;
    const stream = this.#stream;
    this.#native = undefined;
    this.#stream = undefined;
    this.#handOver.streamClosed();
    if (stream && !stream.destroyed) await stream.close().catch(() => undefined);
    // force: close its streams, then leave the group, so the group rebalances now rather than at the
    // session timeout.
    // If it cannot leave (no broker, or its coordinator died), its session times out at the coordinator; on
    // a restart that member is removed first, or the new one's join waits that long (stranded-member.ts).
    if (!native) return;
    if (!removeIfStranded || this.#isIncremental()) {
      await closeLeavingGroup(native);
      return;
    }
    const { library, base, groupId } = this.#setup;
    await closeOrRemoveMember(native, {
      closeConnections: (stranded) => closeWithoutLeaving(library, stranded),
      removeMember: (memberId) => removeGroupMember(library, base, groupId, memberId),
    });
  }
}
