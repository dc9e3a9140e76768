/**
 * Metrics by the OpenTelemetry messaging semantic conventions, through the OpenTelemetry metrics API, beside
 * the inspector's `rxkafka_*` Prometheus metrics. Only when an SDK registered a meter provider: otherwise no
 * instrument exists and no diagnostics channel gains a subscriber, so nothing is spent.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import {
  DIAGNOSTICS_CHANNELS,
  type HandlerEndPayload,
  type HandlerErrorPayload,
} from './diagnostics-channels';
import {
  MessagingAttributes as A,
  operationAttributes,
  toErrorType,
  type MessagingIdentity,
} from '../tracing/messaging-attributes';
import { loadOpenTelemetryApi } from '../tracing/opentelemetry-api';

/** The instrument names of the conventions. */
export const MESSAGING_METRICS = Object.freeze({
  sentMessages: 'messaging.client.sent.messages',
  consumedMessages: 'messaging.client.consumed.messages',
  processDuration: 'messaging.process.duration',
  operationDuration: 'messaging.client.operation.duration',
} as const);

/** Where the measurements of one connection come from. */
export type MessagingMetricsIdentity = MessagingIdentity;

/** One connection's recorder of sends and consumed batches. */
export class MessagingMetrics {
  readonly #instruments: Instruments;
  readonly #identity: MessagingMetricsIdentity;

  constructor(instruments: Instruments, identity: MessagingMetricsIdentity) {
    this.#instruments = instruments;
    this.#identity = identity;
  }

  /** A produce request for `topic`: `count` records, done (or failed with `error`) after `seconds`. */
  sent(topic: string, count: number, seconds: number, error?: unknown): void {
    const attributes = operationAttributes('send', topic, undefined, this.#identity);
    if (error !== undefined) attributes[A.ERROR_TYPE] = toErrorType(error);
    this.#instruments.sentMessages.add(count, attributes);
    this.#instruments.operationDuration.record(seconds, attributes);
  }

  /** A fetched batch handed to the runtime. */
  consumed(topic: string, partition: number, count: number): void {
    const attributes = operationAttributes('process', topic, partition, this.#identity);
    this.#instruments.consumedMessages.add(count, attributes);
  }

  /**
   * Its connection runs (from connect() until close() is done): handler runs are timed while any recorder
   * is held, through one subscription for the process.
   */
  hold(): void {
    holders.add(this);
    listenToHandlers();
  }

  /** Its connection stopped: the last recorder released leaves the handler channels alone again. */
  release(): void {
    if (!holders.delete(this)) return;
    if (holders.size === 0) stopListening();
  }
}

interface Instruments {
  readonly sentMessages: Counter;
  readonly consumedMessages: Counter;
  readonly processDuration: Histogram;
  readonly operationDuration: Histogram;
}

/** The instruments of the meter provider registered now; rebuilt when another one is registered. */
let current: { meter: Meter; instruments: Instruments } | undefined;
/** The handler channel subscriptions, while a held recorder's connection runs. */
let listeners: Array<[string, (message: unknown) => void]> | undefined;
/** The recorders whose connections run. */
const holders = new Set<MessagingMetrics>();

/**
 * A recorder for one connection, or undefined when `@opentelemetry/api` is absent or no meter provider is
 * registered (checked once, when the connection is made).
 */
export function createMessagingMetrics(identity: MessagingMetricsIdentity): MessagingMetrics | undefined {
  const api = loadOpenTelemetryApi();
  if (api === undefined) return undefined;
  const meter = api.metrics.getMeter('rxkafka');
  // The API hands out its one shared no-op meter until an SDK registers a provider (or after it is disabled:
  // the handler channels are then left alone again).
  if (meter === api.createNoopMeter()) {
    holders.clear();
    stopListening();
    return undefined;
  }
  if (current?.meter !== meter) current = { meter, instruments: createInstruments(meter) };
  return new MessagingMetrics(current.instruments, identity);
}

function createInstruments(meter: Meter): Instruments {
  const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
  return {
    sentMessages: meter.createCounter(MESSAGING_METRICS.sentMessages, {
      description: 'Messages a producer attempted to send to the broker.',
      unit: '{message}',
    }),
    consumedMessages: meter.createCounter(MESSAGING_METRICS.consumedMessages, {
      description: 'Messages delivered to the application.',
      unit: '{message}',
    }),
    processDuration: meter.createHistogram(MESSAGING_METRICS.processDuration, {
      description: 'Duration of processing operation.',
      unit: 's',
      advice: { explicitBucketBoundaries: durationBuckets },
    }),
    operationDuration: meter.createHistogram(MESSAGING_METRICS.operationDuration, {
      description: 'Duration of messaging operation initiated by a producer or consumer client.',
      unit: 's',
      advice: { explicitBucketBoundaries: durationBuckets },
    }),
  };
}

/**
 * A handler run is a record's processing: its duration comes from the `rxkafka:handler:*` channels, one
 * subscription for the process (a handler's payload does not say which connection ran it).
 */
function listenToHandlers(): void {
  if (listeners) return;
  // A failed run publishes its error (recorded there, with error.type) just before its end.
  const failedRuns = new Set<string>();
  listeners = [
    [
      DIAGNOSTICS_CHANNELS.handlerError,
      (message) => {
        const payload = message as HandlerErrorPayload;
        failedRuns.add(runId(payload));
        recordProcess(payload, toErrorType(payload.error));
      },
    ],
    [
      DIAGNOSTICS_CHANNELS.handlerEnd,
      (message) => {
        const payload = message as HandlerEndPayload;
        if (failedRuns.delete(runId(payload))) return;
        recordProcess(payload, undefined);
      },
    ],
  ];
  for (const [name, listener] of listeners) subscribe(name, listener);
}

function stopListening(): void {
  for (const [name, listener] of listeners ?? []) unsubscribe(name, listener);
  listeners = undefined;
  if (holders.size === 0) current = undefined;
}

function runId({ topic, partition, offset, handler }: HandlerEndPayload): string {
  return `${topic}/${partition}/${offset}/${handler}`;
}

function recordProcess(payload: HandlerEndPayload, errorType: string | undefined): void {
  if (current === undefined || payload.durationMs === undefined) return;
  const attributes = operationAttributes('process', payload.topic, payload.partition);
  if (errorType !== undefined) attributes[A.ERROR_TYPE] = errorType;
  current.instruments.processDuration.record(payload.durationMs / 1_000, attributes);
}
