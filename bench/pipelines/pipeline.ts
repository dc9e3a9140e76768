/**
 * What the pipeline role (scenario i) needs from a consume-transform-produce implementation. Each lives in
 * its own module, loaded only by the worker that runs it.
 */
import { checkEvent, type BenchEvent } from '../bench-event';
import type { Closable } from '../implementations/implementation';
import type { ImplementationName } from '../worker-protocol';

export interface PipelineConfig {
  readonly brokers: readonly string[];
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly groupId: string;
  /** Input records per transaction at most. */
  readonly batchSize: number;
}

/** What a pipeline reports as it goes. */
export interface PipelineProgress {
  /** The first input is about to be transformed (the window opens). */
  started(): void;
  /** `records` inputs are done: committed in a transaction, or their outputs acknowledged. */
  done(records: number): void;
  /** One transaction took `ms` from its begin to its commit's answer. */
  transaction(ms: number): void;
  /** Something went wrong that must fail the run. */
  fail(error: unknown): void;
}

export interface Pipeline {
  start(config: PipelineConfig, progress: PipelineProgress): Promise<Closable>;
}

/** The output of one input, the same for every implementation: its id and key, and its body's length. */
export interface BenchOutput {
  readonly id: number;
  readonly key: string;
  readonly bodyLength: number;
}

/** The output of a decoded event; throws on a malformed one. */
export function toOutputOf(event: BenchEvent): BenchOutput {
  checkEvent(event);
  return { id: event.id, key: event.key, bodyLength: event.body.length };
}

/** The output of a raw JSON value. */
export function toOutput(value: Buffer | string | null): BenchOutput {
  return toOutputOf(JSON.parse(String(value)) as BenchEvent);
}

/** Loads one pipeline's module lazily (see loadImplementation). */
export function loadPipeline(name: ImplementationName): Pipeline {
  /* eslint-disable @typescript-eslint/no-require-imports */
  switch (name) {
    case 'rxkafka':
      return (require('./rxkafka-exactly-once') as typeof import('./rxkafka-exactly-once'))
        .exactlyOncePipeline;
    case 'kafkajs':
      return (require('./kafkajs-transactions') as typeof import('./kafkajs-transactions')).kafkajsPipeline;
    case 'rxkafka-alo':
      return (require('./rxkafka-at-least-once') as typeof import('./rxkafka-at-least-once'))
        .atLeastOncePipeline;
    case 'rxkafka-stream':
      return (require('./rxkafka-stream-at-least-once') as typeof import('./rxkafka-stream-at-least-once'))
        .streamAtLeastOncePipeline;
    case 'nest':
    case 'nest-rxkafka':
      throw new Error('scenario (i) has no NestJS pipeline');
    case 'rxkafka-otel':
    case 'kafkajs-otel':
      throw new Error('scenario (i) has no traced pipeline: tracing is measured in (a) and (d)');
    case 'rxkafka-retry-topics':
    case 'rxkafka-retry-in-place':
      throw new Error('scenario (i) has no retrying pipeline: retries are measured in (a) and (r)');
    case 'rxkafka-inspector':
      throw new Error('scenario (i) has no inspected pipeline: the inspector is measured in (a) and (d)');
    case 'platformatic':
      return (require('./platformatic-transactions') as typeof import('./platformatic-transactions'))
        .platformaticPipeline;
    case 'rxkafka-platformatic':
      return (require('./rxkafka-exactly-once') as typeof import('./rxkafka-exactly-once'))
        .exactlyOnceOnPlatformatic;
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}
