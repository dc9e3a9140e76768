/**
 * The retries of a plain @platformatic/kafka producer's sends, made by the adapter, each on fresh metadata.
 *
 * Why: the library's produce retries all go to the broker that led the partition when the send began.
 * producer.js (#performSingleDestinationSend, 1.35.0) reads the leader from its metadata once, outside its
 * retry loop, and looks again only after an error Kafka marks `hasStaleMetadata` (NOT_LEADER_OR_FOLLOWER and
 * the like). A leader whose broker died answers nothing: each retry's connection is refused, a retriable
 * NetworkError, so the send retries the dead broker for its whole schedule (115 s with the leader-loss
 * spec's 60 retries of at most 2 s) while the cluster elected another leader within seconds. kafkajs looks
 * the leaders up again before it retries. So the adapter's plain producer retries nothing itself
 * (NO_LIBRARY_RETRIES) and a retry here is a new send, on metadata fetched again, of the records not written
 * yet, on the user's schedule: `retries` and `retryDelay`, @platformatic/kafka's defaults where unset.
 */
import { isUnknownTopicInMetadata, walkPlatformaticErrors } from './platformatic-errors';
import type { PlatformaticBaseOptions } from './platformatic-options';

/**
 * The `retries` the adapter gives its plain producer: none. `false`, not 0: an idempotent producer's 0 or 1
 * would become "retry forever" (the library's constructor), a boolean is kept (and read as 0 retries).
 */
export const NO_LIBRARY_RETRIES = false;

/** @platformatic/kafka's own defaults (clients/base/options.js), for a user who set no retry schedule. */
export const LIBRARY_DEFAULT_RETRIES = 3;
export const LIBRARY_DEFAULT_RETRY_DELAY_MS = 1_000;

/** How many times a failed step runs again, and the wait before each (1 for the first retry). */
export interface RetrySchedule {
  readonly retries: number;
  readonly delayMs: (attempt: number) => number;
}

/** The user's schedule as the library would have followed it; `client` is what a delay function is given. */
export function toRetrySchedule(
  base: Pick<PlatformaticBaseOptions, 'retries' | 'retryDelay'>,
  client: unknown,
  operationId: string,
): RetrySchedule {
  const delay = base.retryDelay ?? LIBRARY_DEFAULT_RETRY_DELAY_MS;
  return {
    retries: base.retries ?? LIBRARY_DEFAULT_RETRIES,
    delayMs: (attempt) => (typeof delay === 'number' ? delay : delay(client, operationId, attempt)),
  };
}

/**
 * As the library decides for its own retries (base.js kPerformWithRetry): nothing in the error is marked
 * `canRetry: false`. An error that says nothing is retried too: the OutOfBoundsError of a response cut short
 * by a broker shutting down carries no `canRetry`, and a send that met it must ride out the restart. And so
 * is the UserError "Unknown topic …" of a metadata lookup: the library raises it in place of Kafka's
 * UNKNOWN_TOPIC_OR_PARTITION, which it retried first (the topic may be being created), as kafkajs does.
 */
export function isRetriable(error: unknown): boolean {
  if (isUnknownTopicInMetadata(error)) return true;
  for (const link of walkPlatformaticErrors(error) as Iterable<{ canRetry?: unknown }>) {
    if (link.canRetry === false) return false;
  }
  return true;
}

export interface RetryOnFreshMetadata {
  readonly schedule: RetrySchedule;
  /** Forgets the metadata the failed attempt used, so the next looks the leaders up again. */
  readonly forgetMetadata: () => void;
  /** Whether a failure is worth another run. @defaultValue isRetriable */
  readonly isRetriable?: (error: unknown) => boolean;
  /** @defaultValue a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `step`, and again after each retriable failure (see isRetriable, or the caller's own test) on fresh metadata, up to
 * `schedule.retries` times; throws the last failure. `step` is told the attempt (0 for the first run).
 */
export async function retryOnFreshMetadata<T>(
  step: (attempt: number) => Promise<T>,
  {
    schedule,
    forgetMetadata,
    isRetriable: retriable = isRetriable,
    sleep = defaultSleep,
  }: RetryOnFreshMetadata,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await step(attempt);
    } catch (error) {
      if (attempt >= schedule.retries || !retriable(error)) throw error;
      forgetMetadata();
      await sleep(schedule.delayMs(attempt + 1));
    }
  }
}

/** What a send wrote: @platformatic/kafka's send result, and what a failed send carries as `produced`. */
export interface ProducedOffsets {
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
}

/**
 * Sends `messages`, and after a retriable failure sends again those of the partitions the failed send did
 * not write (a send to several leaders may fail at one and succeed at the others: the library says which in
 * the error's `produced`), as kafkajs sends again only to the brokers that failed. Resolves with every
 * partition written, across the attempts.
 */
export async function sendUnwrittenAgain<M extends { topic: string; partition?: number }>(
  messages: readonly M[],
  send: (messages: M[]) => Promise<ProducedOffsets>,
  retry: RetryOnFreshMetadata,
): Promise<ProducedOffsets> {
  const written: NonNullable<ProducedOffsets['offsets']> = [];
  let unwritten = [...messages];
  await retryOnFreshMetadata(async () => {
    if (unwritten.length === 0) return;
    try {
      const result = await send(unwritten);
      written.push(...(result.offsets ?? []));
    } catch (error) {
      const produced = (error as { produced?: ProducedOffsets } | null)?.produced?.offsets ?? [];
      written.push(...produced);
      const done = new Set(produced.map(({ topic, partition }) => `${topic}:${partition}`));
      unwritten = unwritten.filter(({ topic, partition }) => !done.has(`${topic}:${partition ?? -1}`));
      throw error;
    }
  }, retry);
  return { offsets: written };
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
