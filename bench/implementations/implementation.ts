/**
 * What the worker roles need from an implementation under test. Each implementation lives in its own
 * module, loaded only by the worker that runs it, so a worker's RSS holds one implementation's code.
 */
import type { BenchEvent } from '../bench-event';
import type { ImplementationName } from '../worker-protocol';

/** Where and as whom an implementation connects. */
export interface ConnectionConfig {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  /** KIP-848's group protocol, where the implementation has it (rxkafka on @platformatic/kafka). */
  readonly groupProtocol?: 'consumer';
  /** A classic group member's heartbeat interval; the client's default if unset. */
  readonly heartbeatIntervalMs?: number;
}

/** (q): what a sum server tells of its ownership and its work, where the implementation can (rxkafka). */
export interface SumServerConfig extends ConnectionConfig {
  /** Called with the partition of each request as its handler begins. */
  readonly onHandled?: (partition: number) => void;
  /** Called with the topic's partitions the server holds, each time they change (none while not assigned). */
  readonly onOwnership?: (partitions: readonly number[]) => void;
}

export interface EventConsumerConfig extends ConnectionConfig {
  /** Run different keys of a partition concurrently, if the implementation can be configured to. */
  readonly keyConcurrency: boolean;
  /** Consume through the implementation's stream API (rxkafka's `consume()`), where it has one. */
  readonly streams?: boolean;
}

/** Handles one decoded event; a returned promise is awaited by the implementation. */
export type EventHandler = (event: BenchEvent) => void | Promise<void>;

/** Something started that must be closed before the worker exits. */
export interface Closable {
  close(): Promise<void>;
}

/** A connected request/reply client for the topic's `sum` handler. */
export interface SumRequester extends Closable {
  /** Sends `numbers` and resolves with the reply (as the implementation decodes it). */
  request(numbers: readonly number[]): Promise<unknown>;
}

export interface Implementation {
  /** Starts consuming the topic from the beginning; resolves once the consumer has joined its group. */
  startEventConsumer(config: EventConsumerConfig, handle: EventHandler): Promise<Closable>;
  /** Starts a server whose handler answers the sum of the numbers it gets. */
  startSumServer(config: SumServerConfig): Promise<Closable>;
  /** Connects a client subscribed to the topic's replies. */
  connectSumRequester(config: ConnectionConfig): Promise<SumRequester>;
}

/**
 * Loads one implementation's module (and with it only that implementation's dependencies): required
 * lazily, since a static import would load NestJS into the rxkafka worker and count it in its RSS.
 */
export function loadImplementation(name: ImplementationName): Implementation {
  /* eslint-disable @typescript-eslint/no-require-imports */
  switch (name) {
    case 'rxkafka':
      return (require('./rxkafka') as typeof import('./rxkafka')).rxkafkaImplementation;
    case 'nest':
      return (require('./nest') as typeof import('./nest')).nestImplementation;
    case 'kafkajs':
      return (require('./kafkajs') as typeof import('./kafkajs')).kafkajsImplementation;
    case 'rxkafka-alo':
    case 'rxkafka-stream':
      throw new Error(`${name} is a pipeline of scenario (i) only (bench/pipelines/)`);
    case 'nest-rxkafka':
      return (require('./nest-rxkafka') as typeof import('./nest-rxkafka')).nestRxkafkaImplementation;
    case 'rxkafka-otel':
      return (require('./traced') as typeof import('./traced')).tracedRxkafka();
    case 'kafkajs-otel':
      return (require('./traced') as typeof import('./traced')).tracedKafkajs();
    case 'rxkafka-retry-topics':
      return (require('./retrying') as typeof import('./retrying')).rxkafkaWithRetryTopics();
    case 'rxkafka-retry-in-place':
      return (require('./retrying') as typeof import('./retrying')).rxkafkaWithInPlaceRetry();
    case 'rxkafka-inspector':
      return (require('./inspected') as typeof import('./inspected')).inspectedRxkafka();
    case 'platformatic':
      return (require('./platformatic') as typeof import('./platformatic')).platformaticImplementation;
    case 'rxkafka-platformatic':
      return (require('./rxkafka') as typeof import('./rxkafka')).rxkafkaOnPlatformatic;
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** The sum every server computes; the client checks replies against it. */
export function sumOf(numbers: readonly number[]): number {
  let total = 0;
  for (const n of numbers) total += n;
  return total;
}
