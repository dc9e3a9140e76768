import type { FetchedBatch } from '../kafka/fetched-batch';
import type { DriverConsumer, DriverConsumerEvent, DriverProducer, KafkaDriver } from '../kafka/kafka-driver';
import type { FetchedRecord } from '../kafka/kafka-record';
import type { ProduceSettings } from '../kafka/record-producer';
import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import { BehaviorSubject, distinctUntilChanged, map, Observable, share, Subject } from 'rxjs';
import { createActor, fromPromise, waitFor } from 'xstate';
import { RxKafkaError } from '../errors';
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
import { ProduceQueue } from '../delivery/produce-queue';

/** A topic → partitions map, as kafkajs GROUP_JOIN reports it. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

/** One record as it arrives, before any decoding. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: FetchedRecord;
}

export interface KafkaConnectionOptions {
  /** The Kafka client library, through the driver port (kafkajs's adapter, or a fake in specs). */
  readonly driver: KafkaDriver;
  readonly clientId: string;
  readonly logger: Logger;
  /** The user's producer settings (kafkajs `ProducerConfig` shape), for the driver. */
  readonly producerSettings?: unknown;
  readonly sendConfig?: ProduceSettings;
  /** Absent for producer-only connections. */
  readonly consumer?: {
    readonly groupId: string;
    /** The user's consumer settings (kafkajs `ConsumerConfig` shape), for the driver. */
    readonly librarySettings?: unknown;
    /** The user's run settings (kafkajs `ConsumerRunConfig` shape), for the driver. */
    readonly runSettings?: { readonly autoCommit?: boolean; readonly autoCommitInterval?: number | null };
    /** Join with NestJS's reply partition assignment, keeping these partitions (a client's reply consumer). */
    readonly replyPartitions?: { toPreviousAssignment(): Record<string, number> };
    readonly topics: ReadonlyArray<string | RegExp>;
    readonly fromBeginning?: boolean;
    /** Processes one fetched batch; it owns resolveOffset and heartbeats. */
    readonly eachBatch: (batch: FetchedBatch) => Promise<void>;
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
  readonly #producer: DriverProducer;
  readonly #consumer: DriverConsumer | undefined;
  /** Absent when the application commits itself (`run.autoCommit: false`) or there is no consumer. */
  readonly #committer: OffsetCommitter | undefined;
  #started = false;
  /** The last connect failure, kept so connect() can throw a recognised one as it is, with its cause. */
  #lastConnectFailure: unknown;

  constructor(options: KafkaConnectionOptions) {
    this.#options = options;
    this.#producer = options.driver.createProducer({ librarySettings: options.producerSettings });
    const consumerOptions = options.consumer;
    this.#consumer = consumerOptions
      ? options.driver.createConsumer({
          groupId: consumerOptions.groupId,
          librarySettings: consumerOptions.librarySettings,
          replyPartitions: consumerOptions.replyPartitions,
        })
      : undefined;
    const runConfig = consumerOptions && (consumerOptions.runSettings ?? {});
    this.#committer =
      runConfig && runConfig.autoCommit !== false
        ? new OffsetCommitter({
            logger: options.logger,
            clientId: options.clientId,
            minIntervalMs: runConfig.autoCommitInterval ?? undefined,
          })
        : undefined;
    // The driver remembers where its partitioner put each record, so the queue notices records a produce
    // response left out (kafkajs #1303; see lib/kafka/kafkajs/partition-recorder.ts).
    const producer = this.#producer;
    this.produceQueue = new ProduceQueue(producer, {
      sendConfig: options.sendConfig,
      partitionOf: (message) => producer.partitionOf(message),
    });

    const machine = connectionMachine.provide({
      actors: {
        connectKafka: fromPromise<void, ConnectionContext>(() =>
          this.#connectKafka().catch((error: unknown) => {
            this.#lastConnectFailure = error;
            throw error;
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
        groupId: options.consumer?.groupId,
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

  /** The library's producer (kafkajs's `Producer`), for users who reach for it as in NestJS. */
  get producer(): Producer {
    return this.#producer.native as Producer;
  }

  /** The library's consumer (kafkajs's `Consumer`); undefined for a producer-only connection. */
  get consumer(): Consumer | undefined {
    return this.#consumer?.native as Consumer | undefined;
  }

  /**
   * Calls `listener` for each membership event of the consumer (joins, rebalances, crashes, commits), after
   * the connection itself has seen it; returns the function that stops it. A no-op without a consumer.
   */
  onConsumerEvent(listener: (event: DriverConsumerEvent) => void): () => void {
    const remove = this.#consumer?.onEvent(listener) ?? (() => undefined);
    this.#removeListeners.push(remove);
    return remove;
  }

  /** Moves the consumer's next fetch of one partition to `offset`. */
  seek(topic: string, partition: number, offset: string): void {
    this.#consumer?.seek(topic, partition, offset);
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
      if (
        RxKafkaError.isRxKafkaError(failure) &&
        reason?.code === failure.code &&
        reason.message === failure.message
      ) {
        throw failure;
      }
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

  async #connectKafka(): Promise<void> {
    const consumerOptions = this.#options.consumer;
    await this.#producer.connect();
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
    await this.#consumer?.disconnect();
    await this.produceQueue.flush();
    await this.#producer.disconnect();
  }

  #listenToKafka(): void {
    const consumer = this.#consumer;
    if (!consumer) return;
    this.#removeListeners.push(consumer.onEvent((event) => this.#onConsumerEvent(event)));
  }

  #onConsumerEvent(event: DriverConsumerEvent): void {
    switch (event.type) {
      case 'group.joined':
        this.#actor.send(createGroupJoinedEvent({ assignment: event.assignment, memberId: event.memberId }));
        return;
      case 'rebalancing':
        // kafkajs emits this right before it rejoins, also when a heartbeat it sent itself failed after a
        // batch that only asked for a commit. That commit (or the one in flight before it) leaves on the
        // coordinator connection before kafkajs's FindCoordinator round trip and JoinGroup, and Kafka takes
        // commits of the current generation until this member has rejoined.
        void this.#committer?.flush();
        this.#actor.send(createRebalanceStartedEvent());
        return;
      case 'crashed':
        // The consumer has already left the group: nothing can be committed through it any more.
        this.#committer?.detach();
        this.#options.logger.error(`consumer ${this.#options.clientId} crashed`, {
          error: event.error,
          restart: event.restart,
        });
        this.#actor.send(createCrashedEvent(event.error, event.restart));
        return;
      case 'offsets.committed':
        return;
    }
  }
}
