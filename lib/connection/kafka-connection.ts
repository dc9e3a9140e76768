import type {
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  EachBatchPayload,
  Kafka,
  KafkaConfig,
  KafkaMessage,
  Producer,
  ProducerConfig,
  ProducerRecord,
} from '../kafka/kafkajs/kafkajs-types';
import { BehaviorSubject, distinctUntilChanged, map, Observable, share, Subject } from 'rxjs';
import { createActor, fromPromise, waitFor } from 'xstate';
import { RxKafkaError } from '../errors';
import { toConnectFailure } from '../kafka/kafkajs/connect-failure';
import type { Logger } from '../logger';
import {
  createConnectEvent,
  createCrashedEvent,
  createDrainEvent,
  createGroupJoinedEvent,
  createRebalanceStartedEvent,
  type DrainMode,
} from './connection-events';
import {
  connectionMachine,
  toConnectionStateValue,
  type ConnectionContext,
  type ConnectionSnapshot,
  type ConnectionStateValue,
} from './connection-machine';
import { toConnectionStatus, type ConnectionStatus } from './connection-status';
import { observeTransitions, type ConnectionActor, type ConnectionTransition } from './inspection';
import { OffsetCommitter } from '../delivery/offset-committer';
import { PartitionRecorder } from '../kafka/kafkajs/partition-recorder';
import { ProduceQueue } from '../delivery/produce-queue';

/** A topic → partitions map, as kafkajs GROUP_JOIN reports it. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

/** One record as it arrives, before any decoding. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

export interface KafkaConnectionOptions {
  readonly kafka: Kafka;
  /** The config `kafka` was made with: connect failures name its brokers, SASL mechanism and user. */
  readonly kafkaConfig: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;
  readonly clientId: string;
  readonly logger: Logger;
  readonly producerConfig?: ProducerConfig;
  readonly sendConfig?: Omit<ProducerRecord, 'topic' | 'messages'>;
  /** Absent for producer-only connections. */
  readonly consumer?: {
    readonly config: ConsumerConfig;
    readonly runConfig: Omit<ConsumerRunConfig, 'eachBatch' | 'eachMessage'>;
    readonly topics: ReadonlyArray<string | RegExp>;
    readonly fromBeginning?: boolean;
    /** Processes one fetched batch; it owns resolveOffset and heartbeats. */
    readonly eachBatch: (payload: EachBatchPayload) => Promise<void>;
  };
  /** Runs inside close(), before the consumer leaves: stop dispatching, finish or abandon in-flight work. */
  readonly onDrain?: (mode: DrainMode) => Promise<void>;
  /** Connect attempts before `failed`. @defaultValue 5 */
  readonly maxConnectAttempts?: number;
}

/**
 * One Kafka connection as an xstate actor: a producer and, unless producer-only, a consumer in a group.
 * The machine (connection-machine.ts) decides; this adapter does the kafkajs I/O and turns kafkajs
 * instrumentation events into machine events. Everything it knows is observable: `status$`, `assignment$`,
 * `transitions$` and `messages$`.
 */
export class KafkaConnection {
  readonly producer: Producer;
  readonly consumer: Consumer | undefined;
  readonly produceQueue: ProduceQueue;
  /** Every top-level transition and assignment change of the actor. */
  readonly transitions$: Observable<ConnectionTransition>;
  /** NestJS-compatible status values plus rxkafka's own (see ConnectionStatus); replays the current one. */
  readonly status$: Observable<ConnectionStatus>;
  /** The partitions this member consumes; `{}` while not assigned. Replays the current one. */
  readonly assignment$: Observable<Assignment>;
  /** Every record handed to the consumer, before processing. Hot: subscribe before connect(). */
  readonly messages$: Observable<ConsumedRecord>;

  readonly #options: KafkaConnectionOptions;
  readonly #actor: ConnectionActor;
  readonly #snapshot$: BehaviorSubject<ConnectionSnapshot>;
  readonly #messages = new Subject<ConsumedRecord>();
  readonly #removeListeners: Array<() => void> = [];
  /** Absent when the application commits itself (`run.autoCommit: false`) or there is no consumer. */
  readonly #committer: OffsetCommitter | undefined;
  #started = false;
  /** The last connect failure the adapter recognised, kept so connect() can throw it with its cause. */
  #lastConnectFailure: RxKafkaError | undefined;

  constructor(options: KafkaConnectionOptions) {
    this.#options = options;
    // The recorder lets the queue notice messages kafkajs reports as sent but never wrote (see PartitionRecorder).
    const partitions = new PartitionRecorder();
    this.producer = options.kafka.producer({
      ...options.producerConfig,
      createPartitioner: partitions.wrap(options.producerConfig?.createPartitioner),
    });
    this.consumer = options.consumer ? options.kafka.consumer(options.consumer.config) : undefined;
    const runConfig = options.consumer?.runConfig;
    this.#committer =
      runConfig && runConfig.autoCommit !== false
        ? new OffsetCommitter({
            logger: options.logger,
            clientId: options.clientId,
            minIntervalMs: runConfig.autoCommitInterval ?? undefined,
          })
        : undefined;
    this.produceQueue = new ProduceQueue(this.producer, {
      sendConfig: options.sendConfig,
      partitionOf: (message) => partitions.partitionOf(message),
    });

    const machine = connectionMachine.provide({
      actors: {
        connectKafka: fromPromise<void, ConnectionContext>(() =>
          this.#connectKafka().catch((error: unknown) => {
            this.#lastConnectFailure = this.#toConnectFailure(error);
            throw this.#lastConnectFailure ?? error;
          }),
        ),
        drainKafka: fromPromise<void, ConnectionContext>(({ input }) =>
          this.#drainKafka(input.drainMode ?? 'drain'),
        ),
      },
    });
    this.#actor = createActor(machine, {
      id: options.clientId,
      input: {
        clientId: options.clientId,
        groupId: options.consumer?.config.groupId,
        producerOnly: !options.consumer,
        maxConnectAttempts: options.maxConnectAttempts,
      },
    });
    this.#snapshot$ = new BehaviorSubject(this.#actor.getSnapshot());
    this.#actor.subscribe((snapshot) => {
      if (snapshot.matches('failed') && !this.#snapshot$.value.matches('failed')) this.#logFailed(snapshot);
      this.#snapshot$.next(snapshot);
    });
    this.transitions$ = observeTransitions(this.#actor).pipe(share());
    this.status$ = this.#snapshot$.pipe(map(toConnectionStatus), distinctUntilChanged());
    this.assignment$ = this.#snapshot$.pipe(
      map((snapshot) => snapshot.context.assignment),
      distinctUntilChanged(),
    );
    this.messages$ = this.#messages.asObservable();
    this.#listenToKafka();
  }

  /** The actor's current top-level state. */
  get state(): ConnectionStateValue {
    return toConnectionStateValue(this.#actor.getSnapshot().value);
  }

  /** The current assignment. */
  get assignment(): Assignment {
    return this.#actor.getSnapshot().context.assignment;
  }

  /** The xstate actor itself, for inspection tools (read it; drive it only through this class). */
  get actor(): ConnectionActor {
    return this.#actor;
  }

  /**
   * Connects the producer and (unless producer-only) joins the group. Resolves in `assigned`/`connected`;
   * rejects with the last error when the machine gives up (`failed`) or is closed meanwhile.
   */
  async connect(): Promise<void> {
    if (!this.#started) {
      this.#actor.start();
      this.#started = true;
    }
    this.#actor.send(createConnectEvent());
    const snapshot = await waitFor(
      this.#actor,
      (s) => s.hasTag('ready') || s.matches('failed') || s.matches('stopped') || s.matches('draining'),
    );
    if (!snapshot.hasTag('ready')) {
      const reason = snapshot.context.lastError;
      // A failure the adapter recognised (a refused login, a TLS mismatch) is thrown as it is, with its cause.
      const failure = this.#lastConnectFailure;
      if (failure && reason?.code === failure.code && reason.message === failure.message) throw failure;
      throw new RxKafkaError(
        'RXK_NOT_CONNECTED',
        `connection ${this.#options.clientId} could not connect (state ${toConnectionStateValue(snapshot.value)})` +
          (reason ? `: ${reason.name}: ${reason.message}` : ''),
        { state: toConnectionStateValue(snapshot.value) },
      );
    }
  }

  /** Drains (or abandons) and disconnects; resolves in `stopped`. Calling it again is harmless. */
  async close(mode: DrainMode = 'drain'): Promise<void> {
    if (!this.#started) {
      this.#actor.start();
      this.#started = true;
    }
    this.#actor.send(createDrainEvent(mode));
    await waitFor(this.#actor, (s) => s.matches('stopped'));
  }

  /** Stops the actor for good and removes kafkajs listeners (after close()). */
  dispose(): void {
    for (const remove of this.#removeListeners.splice(0)) remove();
    this.#committer?.stop();
    this.#messages.complete();
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

  #toConnectFailure(error: unknown): RxKafkaError | undefined {
    const config = this.#options.kafkaConfig;
    return toConnectFailure(error, {
      clientId: this.#options.clientId,
      brokers: config.brokers,
      ssl: config.ssl,
      sasl: config.sasl,
    });
  }

  async #connectKafka(): Promise<void> {
    const consumerOptions = this.#options.consumer;
    await this.producer.connect();
    if (!this.consumer || !consumerOptions) return;
    // A retry after a failed attempt starts from a clean consumer; disconnect() is a no-op when idle.
    await this.consumer.disconnect();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...consumerOptions.topics],
      fromBeginning: consumerOptions.fromBeginning ?? false,
    });
    await this.consumer.run({
      ...consumerOptions.runConfig,
      // Offsets are resolved by eachBatch itself, only once a record is handled and its replies produced.
      eachBatchAutoResolve: false,
      // The committer commits them, off the fetch path (see OffsetCommitter); `false` from the application
      // leaves commits to it, as in kafkajs.
      autoCommit: false,
      eachBatch: (payload) => this.#onBatch(payload, consumerOptions.eachBatch),
    });
  }

  async #onBatch(
    payload: EachBatchPayload,
    eachBatch: (payload: EachBatchPayload) => Promise<void>,
  ): Promise<void> {
    if (this.#messages.observed) {
      const { topic, partition } = payload.batch;
      for (const message of payload.batch.messages) this.#messages.next({ topic, partition, message });
    }
    const committer = this.#committer;
    if (!committer) return eachBatch(payload);
    committer.track(payload);
    try {
      await eachBatch(payload);
    } catch (error) {
      // As kafkajs's own auto-commit does before it rethrows: the records resolved before the failure are
      // finished, and a rebalance error sends kafkajs straight into rejoining.
      await committer.flush();
      throw error;
    }
    committer.request();
  }

  async #drainKafka(mode: DrainMode): Promise<void> {
    await this.#options.onDrain?.(mode);
    // Batches have returned: commit what they finished, then disconnect() leaves the group.
    await this.#committer?.flush();
    this.#committer?.stop();
    await this.consumer?.disconnect();
    await this.produceQueue.flush();
    await this.producer.disconnect();
  }

  #listenToKafka(): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
    // STOP and DISCONNECT are left out on purpose: kafkajs emits them during our own close() and also
    // right before a CRASH, which carries the one fact that matters (whether kafkajs restarts by itself).
    this.#removeListeners.push(
      consumer.on(GROUP_JOIN, ({ payload }) =>
        this.#actor.send(
          createGroupJoinedEvent({ assignment: payload.memberAssignment, memberId: payload.memberId }),
        ),
      ),
      consumer.on(REBALANCING, () => {
        // kafkajs emits this right before it rejoins, also when a heartbeat it sent itself failed after a
        // batch that only asked for a commit. That commit (or the one in flight before it) leaves on the
        // coordinator connection before kafkajs's FindCoordinator round trip and JoinGroup, and Kafka takes
        // commits of the current generation until this member has rejoined.
        void this.#committer?.flush();
        this.#actor.send(createRebalanceStartedEvent());
      }),
      consumer.on(CRASH, ({ payload }) => {
        // kafkajs has already left the group: nothing can be committed through it any more.
        this.#committer?.detach();
        this.#options.logger.error(`consumer ${this.#options.clientId} crashed`, {
          error: payload.error,
          restart: payload.restart,
        });
        this.#actor.send(createCrashedEvent(payload.error, payload.restart));
      }),
    );
  }
}
