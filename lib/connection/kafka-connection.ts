import type { FetchedBatch, TopicPartitionOffsets } from '../kafka/fetched-batch';
import type { DriverConsumer, DriverConsumerEvent, DriverProducer, KafkaDriver } from '../kafka/kafka-driver';
import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import { BehaviorSubject, distinctUntilChanged, map, Observable, share, Subject } from 'rxjs';
import { createActor, waitFor } from 'xstate';
import {
  createConnectEvent,
  createDrainEvent,
  type ConnectionEvent,
  type DrainMode,
} from './connection-events';
import {
  toConnectionStateValue,
  type ConnectionSnapshot,
  type ConnectionStateValue,
} from './connection-machine';
import { toConnectionStatus, type ConnectionStatus } from './connection-status';
import { observeTransitions, type ConnectionActor, type ConnectionTransition } from './inspection';
import { ConsumerOffsets } from '../offsets/consumer-offsets';
import type { PartitionProgressBook } from '../offsets/partition-progress';
import { fromConsumerEvent, fromProducerEvent, toDispatchMode, type DispatchMode } from './driver-events';
import { partitionActorId, type PartitionActor } from './partition-machine';
import {
  refusePartitionCommand,
  toOperatorEvent,
  type CommandOutcome,
  type PartitionCommand,
} from './partition-command';
import { PARTITION_SAMPLE_EVERY_MS, PartitionSampler } from './partition-sampler';
import { provideConnectionIo } from './connection-io';
import { toConnectError } from './connect-error';

import { ProduceQueue } from './produce-queue';
import {
  publishBatchEnd,
  publishBatchStart,
  publishOffsetsCommitted,
} from '../diagnostics/publish-diagnostics';
import { createMessagingMetrics, type MessagingMetrics } from '../diagnostics/messaging-metrics';
import { publishTransitions } from './transition-diagnostics';
import { RxKafkaError } from '../errors';
import type {
  Assignment,
  ConsumedRecord,
  GroupJoin,
  KafkaConnectionOptions,
  PartitionView,
  SkippedRecords,
} from './kafka-connection-options';

export type { DispatchMode } from './driver-events';
export type { CommandOutcome, PartitionCommand } from './partition-command';
export type {
  Assignment,
  ConsumedRecord,
  GroupJoin,
  KafkaConnectionOptions,
  PartitionView,
  SkippedRecords,
} from './kafka-connection-options';

/** The event xstate sends the connection actor when its connectKafka actor rejects. */
const CONNECT_FAILED_EVENT = 'xstate.error.actor.connectKafka';

/**
 * One Kafka connection as an xstate actor: a producer (left unconnected when `produces: false`) and, unless
 * producer-only, a consumer in a group.
 * The machine (connection-machine.ts) decides and receives the driver's events itself; this class binds its
 * I/O (connect, drain, commit flushes) and shows what it knows: `status$`, `assignment$`, `transitions$`,
 * `messages$` and `dispatchMode`.
 */
export class KafkaConnection {
  readonly produceQueue: ProduceQueue;
  /**
   * The consumer's offsets: progress, commit holds, commits and what they committed (see ConsumerOffsets).
   * It commits nothing without a consumer or with `run.autoCommit: false` (the application commits), and
   * records every commit the driver reports either way.
   */
  readonly offsets: ConsumerOffsets;
  /** Every top-level transition and assignment change of the actor. */
  readonly transitions$: Observable<ConnectionTransition>;
  /** NestJS-compatible status values plus rxkafka's own (see ConnectionStatus); replays the current one. */
  readonly status$: Observable<ConnectionStatus>;
  /** The partitions this member consumes; `{}` while not assigned. Replays the current one. */
  readonly assignment$: Observable<Assignment>;
  /** Every record handed to the consumer, before processing. Hot: subscribe before connect(). */
  readonly messages$: Observable<ConsumedRecord>;
  /**
   * Each group join as the consumer reports it (the first and every rebalance), with the whole assignment,
   * also while the actor is still rebalancing: an assigner that must keep offering the previous partitions
   * reads this, not `assignment$`. Hot.
   */
  readonly joins$: Observable<GroupJoin>;
  /** Each commit of offsets ("the next offset to read") the consumer made. Hot. */
  readonly commits$: Observable<TopicPartitionOffsets>;
  /**
   * Each run of records the consumer moved past without handing them to a batch (transaction markers,
   * aborted records), up to and including `lastOffset`. Hot.
   */
  readonly skips$: Observable<SkippedRecords>;

  readonly #options: KafkaConnectionOptions;
  readonly #metrics: MessagingMetrics | undefined;
  readonly #actor: ConnectionActor;
  readonly #snapshot$: BehaviorSubject<ConnectionSnapshot>;
  readonly #messages = new Subject<ConsumedRecord>();
  readonly #joins = new Subject<GroupJoin>();
  readonly #commits = new Subject<TopicPartitionOffsets>();
  readonly #skips = new Subject<SkippedRecords>();
  readonly #removeListeners: Array<() => void> = [];
  readonly #producer: DriverProducer;
  readonly #consumer: DriverConsumer | undefined;
  /**
   * The latest connect attempt's library calls, settled. Not a mode: leaving `connecting` stops the machine's
   * connectKafka actor, not the calls it made, and a close() during them must wait for them, or it would
   * leave a consumer that starts after it.
   */
  #connectAttempt: Promise<void> = Promise.resolve();
  readonly #sampler: PartitionSampler;
  #stateSince = Date.now();

  constructor(options: KafkaConnectionOptions) {
    this.#options = options;
    this.#producer = options.driver.createProducer({ librarySettings: options.producerSettings });
    const consumerOptions = options.consumer;
    this.#consumer = consumerOptions ? createDriverConsumer(options.driver, consumerOptions) : undefined;
    const runConfig = consumerOptions?.runSettings ?? {};
    this.offsets = new ConsumerOffsets({
      logger: options.logger,
      clientId: options.clientId,
      // A producer-only connection commits nothing.
      autoCommit: consumerOptions !== undefined && runConfig.autoCommit !== false,
      minCommitIntervalMs: runConfig.autoCommitInterval ?? undefined,
      progress: options.progress,
    });
    this.#sampler = new PartitionSampler(this.offsets.progress, () => this.#partitionActors());
    // The driver remembers where its partitioner put each record, so the queue notices records a produce
    // response left out (kafkajs #1303; see lib/kafka/kafkajs/partition-recorder.ts).
    const producer = this.#producer;
    this.#metrics = createMessagingMetrics({
      clientId: options.clientId,
      ...(consumerOptions === undefined ? {} : { groupId: consumerOptions.groupId }),
    });
    this.produceQueue = new ProduceQueue(producer, {
      metrics: this.#metrics,
      classifySendError: (error) => options.driver.classifySendError(error),
      sendConfig: options.sendConfig,
      partitionOf: (message) => producer.partitionOf(message),
    });

    const machine = provideConnectionIo({
      clientId: options.clientId,
      logger: options.logger,
      listenToKafka: (sendBack) => this.#listenToKafka(sendBack),
      samplePartitions: () => {
        if (!this.#consumer) return undefined;
        this.#sampler.start(PARTITION_SAMPLE_EVERY_MS);
        return () => this.#sampler.stop();
      },
      sampleProgress: () => this.#sampler.sample(),
      connectKafka: () => {
        const attempt = this.#connectKafka();
        this.#connectAttempt = attempt.catch(() => undefined);
        return attempt;
      },
      drainKafka: () => this.#drainKafka(),
      offsets: this.offsets,
      abandonInFlight: () => options.inFlight?.abandon(),
      pause: (topic, partition) => this.#consumer?.pause?.(topic, partition),
      resume: (topic, partition) => this.#consumer?.resume?.(topic, partition),
    });
    this.#actor = createActor(machine, {
      id: options.clientId,
      input: {
        clientId: options.clientId,
        groupId: options.consumer?.groupId,
        producerOnly: !options.consumer,
        joinsAfterConsume: options.driver.capabilities?.joinsAfterConsume ?? true,
        maxConnectAttempts: options.maxConnectAttempts,
        connectTimeoutMs: options.connectTimeoutMs,
      },
    });
    publishTransitions(this.#actor);
    this.#snapshot$ = new BehaviorSubject(this.#actor.getSnapshot());
    this.#actor.subscribe((snapshot) => {
      if (snapshot.matches('failed') && !this.#snapshot$.value.matches('failed')) this.#logFailed(snapshot);
      if (toConnectionStateValue(snapshot.value) !== toConnectionStateValue(this.#snapshot$.value.value)) {
        this.#stateSince = Date.now();
      }
      this.#snapshot$.next(snapshot);
    });
    this.transitions$ = observeTransitions(this.#actor).pipe(share());
    this.status$ = this.#snapshot$.pipe(map(toConnectionStatus), distinctUntilChanged());
    this.assignment$ = this.#snapshot$.pipe(
      map((snapshot) => snapshot.context.assignment),
      distinctUntilChanged(),
    );
    this.messages$ = this.#messages.asObservable();
    this.joins$ = this.#joins.asObservable();
    this.commits$ = this.#commits.asObservable();
    this.skips$ = this.#skips.asObservable();
    // Started here, in `idle`: connect() and close() are then only events, whatever came before.
    this.#actor.start();
  }

  /** Each partition's progress (in flight, finished, committed, lag), which its partition actor samples. */
  get progress(): PartitionProgressBook {
    return this.offsets.progress;
  }

  /** The actor's current top-level state. */
  get state(): ConnectionStateValue {
    return toConnectionStateValue(this.#actor.getSnapshot().value);
  }

  /** Epoch milliseconds when the actor entered its current top-level state. */
  get stateSince(): number {
    return this.#stateSince;
  }

  /** What batches may do now, as the machine says (see DispatchMode). */
  get dispatchMode(): DispatchMode {
    // The actor holds its new snapshot before it runs the actions and actors of a transition (drainKafka,
    // abandonInFlight), so they already read the mode they brought about. Read per record: outside a close
    // it is one tag lookup.
    const snapshot = this.#actor.getSnapshot();
    return snapshot.hasTag('closing') ? toDispatchMode(snapshot) : 'running';
  }

  /**
   * True while the connection serves: ready, or briefly not (rebalancing, reconnecting) after having been
   * ready since the last connect(). False before connect() succeeds and after close() or a failure.
   */
  get isServing(): boolean {
    const snapshot = this.#actor.getSnapshot();
    if (snapshot.hasTag('ready')) return true;
    // connectAttempts is reset when the connection is ready and counted at each connect attempt, so 0 here
    // means no attempt has begun since it last served (a crash or a rebalance, not a failed first connect).
    return (
      (snapshot.matches('rebalancing') || snapshot.matches('reconnecting')) &&
      snapshot.context.everReady &&
      snapshot.context.connectAttempts === 0
    );
  }

  /** The partition actors, one per partition this member consumes (none while not assigned). */
  get partitions(): PartitionView[] {
    return this.#partitionActors().map((actor) => {
      const snapshot = actor.getSnapshot();
      return { id: actor.id, state: snapshot.value, context: snapshot.context };
    });
  }

  /** The current assignment. */
  get assignment(): Assignment {
    return this.#actor.getSnapshot().context.assignment;
  }

  /** The xstate actor itself, for inspection tools (read it; drive it only through this class). */
  get actor(): ConnectionActor {
    return this.#actor;
  }

  /** The library's producer (kafkajs's `Producer`), for users who reach for it as in NestJS. */
  get producer(): Producer {
    return this.#producer.native as Producer;
  }

  /** The library's consumer (kafkajs's `Consumer`); undefined for a producer-only connection. */
  get consumer(): Consumer | undefined {
    return this.#consumer?.native as Consumer | undefined;
  }

  /**
   * Calls `listener` for each membership event of the consumer (joins, rebalances, crashes, commits); returns
   * the function that stops it. A no-op without a consumer.
   */
  onConsumerEvent(listener: (event: DriverConsumerEvent) => void): () => void {
    const remove = this.#consumer?.onEvent(listener) ?? (() => undefined);
    this.#removeListeners.push(remove);
    return remove;
  }

  /**
   * Asks for a background commit of every offset resolved so far, without waiting: a batch handler that
   * runs long (a slow stream subscriber) would otherwise have its finished records committed only when it
   * returns. A no-op without a committer (`run.autoCommit: false`, producer-only).
   */
  requestCommit(): void {
    this.offsets.requestCommit();
  }

  /**
   * Kafka took a commit of this connection's group that the driver does not report (a transaction's
   * offsets, committed with it): recorded by the offsets owner, on `commits$` and on
   * `rxkafka:offsets:committed`, as the driver's own commits are.
   */
  recordCommitted(offsets: TopicPartitionOffsets): void {
    this.offsets.recordCommitted(offsets);
    this.#commits.next(offsets);
    publishOffsetsCommitted(this.#actor, offsets);
  }

  /** Moves the consumer's next fetch of one partition to `offset`. */
  seek(topic: string, partition: number, offset: string): void {
    this.#consumer?.seek(topic, partition, offset);
  }

  /** Stops fetching one partition until resume() (see DriverConsumer.pause). */
  pause(topic: string, partition: number): void {
    this.#consumer?.pause?.(topic, partition);
  }

  /**
   * Fetches a paused partition again, from its first unresolved record; not one an operator paused, which
   * only the operator's resume lifts (see command()).
   */
  resume(topic: string, partition: number): void {
    if (this.#partitionActor(topic, partition)?.getSnapshot().matches('paused')) return;
    this.#consumer?.resume?.(topic, partition);
  }

  /**
   * An operator's command to one partition: pause it (the consumer fetches nothing of it until resumed;
   * records in flight finish) or resume it. Taken only when the connection is assigned and the partition's
   * actor takes the event in its state; then it is an edge of that actor, in the event log like any other.
   * Refused otherwise, with the reason, and nothing changes.
   */
  command(command: PartitionCommand): CommandOutcome {
    const event = toOperatorEvent(command, Date.now());
    const reason = refusePartitionCommand(
      {
        clientId: this.#options.clientId,
        state: this.state,
        hasConsumer: this.#consumer !== undefined,
        pausesPartitions: this.#options.driver.capabilities?.pausesPartitions === true,
        partitionActor: (topic, partition) => this.#partitionActor(topic, partition),
      },
      event,
    );
    if (reason !== undefined) return { accepted: false, reason };
    this.#actor.send(event);
    return { accepted: true };
  }

  /**
   * Connects the producer and (unless producer-only) joins the group. Resolves in `assigned`/`connected`;
   * rejects with the last error when the machine gives up (`failed`) or is closed meanwhile.
   */
  async connect(): Promise<void> {
    // The machine keeps a failure as plain data (lastError); the error as the adapter threw it is in the
    // event that told the machine, seen here while this call waits.
    let failure: unknown;
    const watch = this.#actor.system.inspect((inspection) => {
      if (
        inspection.type === '@xstate.event' &&
        inspection.actorRef === this.#actor &&
        inspection.event.type === CONNECT_FAILED_EVENT
      ) {
        failure = (inspection.event as { error?: unknown }).error;
      }
    });
    let snapshot: ConnectionSnapshot;
    this.#metrics?.hold();
    try {
      this.#actor.send(createConnectEvent());
      snapshot = await waitFor(
        this.#actor,
        (s) => s.hasTag('ready') || s.matches('failed') || s.matches('stopped') || s.matches('draining'),
      );
    } finally {
      watch.unsubscribe();
    }
    if (!snapshot.hasTag('ready')) throw toConnectError(this.#options.clientId, snapshot, failure);
  }

  /**
   * Drains (or abandons) and disconnects; resolves in `stopped` with what the drain did. With `deadlineMs`, a
   * drain that has not finished by then abandons what is left. Calling it again is harmless; an abandoning
   * close() cuts a drain in progress short.
   */
  async close(
    mode: DrainMode = 'drain',
    deadlineMs?: number,
  ): Promise<{ mode: DrainMode; timedOut: boolean }> {
    this.#actor.send(createDrainEvent(mode, deadlineMs));
    const { context } = await waitFor(this.#actor, (s) => s.matches('stopped'));
    this.#metrics?.release();
    return { mode: context.drainMode ?? mode, timedOut: context.drainTimedOut };
  }

  /** Stops the actor for good and removes kafkajs listeners (after close()). */
  dispose(): void {
    this.#metrics?.release();
    for (const remove of this.#removeListeners.splice(0)) remove();
    this.offsets.stop();
    this.#messages.complete();
    this.#joins.complete();
    this.#commits.complete();
    this.#skips.complete();
    this.#actor.stop();
  }

  /**
   * A connection that served its group and then gave up would otherwise go silent: no caller is waiting
   * on connect() any more. (A first connect that fails is the caller's rejection to handle.)
   */
  #logFailed(snapshot: ConnectionSnapshot): void {
    if (!snapshot.context.everReady) return;
    const reason = snapshot.context.lastError;
    this.#options.logger.error(
      `connection ${this.#options.clientId} failed and stopped reconnecting: call connect() (or listen()) ` +
        'again once the cause is fixed',
      { error: reason, crashes: snapshot.context.crashes, connectAttempts: snapshot.context.connectAttempts },
    );
  }

  async #connectKafka(): Promise<void> {
    const consumerOptions = this.#options.consumer;
    if (this.#options.produces !== false) await this.#producer.connect();
    if (!this.#consumer || !consumerOptions) return;
    // A retry after a failed attempt starts from a clean consumer; disconnect() is a no-op when idle.
    await this.#consumer.disconnect();
    await this.#consumer.connect();
    await this.#consumer.consume({
      topics: consumerOptions.topics,
      fromBeginning: consumerOptions.fromBeginning ?? false,
      librarySettings: consumerOptions.runSettings,
      // Offsets are resolved by eachBatch itself, only once a record is handled and its replies produced;
      // the committer commits them off the fetch path (see OffsetCommitter). `autoCommit: false` from the
      // application leaves commits to it, as in kafkajs.
      eachBatch: (batch) => this.#onBatch(batch, consumerOptions.eachBatch),
    });
  }

  async #onBatch(payload: FetchedBatch, eachBatch: (payload: FetchedBatch) => Promise<void>): Promise<void> {
    if (this.#messages.observed) {
      const { topic, partition, messages } = payload.batch;
      for (const message of messages) this.#messages.next({ topic, partition, message });
    }
    const offsets = this.offsets;
    offsets.batchStarted(payload);
    this.#metrics?.consumed(payload.batch.topic, payload.batch.partition, payload.batch.messages.length);
    const startedAt = publishBatchStart(this.#actor, payload);
    try {
      await eachBatch(payload);
    } catch (error) {
      publishBatchEnd(this.#actor, payload, startedAt, error);
      // The records resolved before the failure are finished, and a rebalance error sends kafkajs straight
      // into rejoining: they are committed first.
      await offsets.batchFailed(payload, error);
      throw error;
    }
    offsets.batchEnded(payload);
    publishBatchEnd(this.#actor, payload, startedAt);
  }

  #partitionActor(topic: string, partition: number): PartitionActor | undefined {
    const children = this.#actor.getSnapshot().children as Record<string, PartitionActor | undefined>;
    return children[partitionActorId(topic, partition)];
  }

  #partitionActors(): PartitionActor[] {
    const children = this.#actor.getSnapshot().children as Record<string, PartitionActor | undefined>;
    return Object.entries(children).flatMap(([id, child]) =>
      id.startsWith('partition:') && child ? [child] : [],
    );
  }

  async #drainKafka(): Promise<void> {
    // Leaving `connecting` stops the machine's connectKafka actor, not the library calls it made.
    await this.#connectAttempt;
    await this.#options.inFlight?.finish();
    // Batches have returned: commit what they finished, then disconnect() leaves the group. Nothing is left
    // to commit through that group: detached, a flush while it leaves (kafkajs may announce one last
    // rebalance) or after a reconnect, before the new group's first batch, cannot commit as a member it has
    // left (Kafka answers UNKNOWN_MEMBER_ID).
    await this.offsets.flush();
    this.offsets.detach();
    await this.#consumer?.disconnect();
    await this.produceQueue.flush();
    await this.#producer.disconnect();
  }

  /** The `listenToKafka` actor's body: forwards the driver's events to the machine until it stops. */
  #listenToKafka(sendBack: (event: ConnectionEvent) => void): () => void {
    const removers = [
      this.#producer.onEvent((event) => sendBack(fromProducerEvent(event))),
      this.#consumer?.onEvent((event) => {
        if (event.type === 'offsets.committed') this.recordCommitted(event.offsets);
        if (event.type === 'group.joined') {
          this.offsets.regroup();
          this.#options.inFlight?.regroup?.();
          const { assignment, memberId, generationId } = event;
          this.#joins.next(
            generationId === undefined ? { assignment, memberId } : { assignment, memberId, generationId },
          );
        }
        if (event.type === 'records.skipped') {
          const { topic, partition, lastOffset } = event;
          this.#skips.next({ topic, partition, lastOffset });
        }
        const machineEvent = fromConsumerEvent(event);
        if (machineEvent) sendBack(machineEvent);
      }),
    ];
    return () => removers.forEach((remove) => remove?.());
  }
}

/** The group member, or for a consumer without a group the driver's reader. */
function createDriverConsumer(
  driver: KafkaDriver,
  consumer: NonNullable<KafkaConnectionOptions['consumer']>,
): DriverConsumer {
  const { groupId, librarySettings } = consumer;
  if (groupId !== undefined) {
    const { groupProtocol, replyPartitions } = consumer;
    return driver.createConsumer({ groupId, groupProtocol, librarySettings, replyPartitions });
  }
  if (!driver.createReader) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'this driver reads only as a member of a consumer group: give the consumer a groupId',
      { path: 'groupId' },
    );
  }
  return driver.createReader({ librarySettings });
}
