/**
 * An exactly-once handler's way through a record (`@EventPattern(topic, { exactlyOnce: true })`): decode
 * it as the router does, run the topic's handler with its retries and silence timeout, and hand what it
 * returns to the transaction as the records to produce. A handler that failed for good is logged and its
 * record dead-lettered in the same transaction, or skipped (committed with nothing produced), so, as on the
 * event path, a failed record never stalls its partition.
 */
import { isObservable, lastValueFrom, toArray, type Observable } from 'rxjs';
import type { ConsumedRecord } from '../connection/kafka-connection';
import {
  publishHandlerEnd,
  publishHandlerError,
  handlerRetryObserver,
  publishHandlerStart,
} from '../diagnostics/publish-diagnostics';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import { KafkaContext } from '../handlers/kafka-context';
import { isRetriableException } from '../handlers/rpc-exception';
import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import type { Logger } from '../logger';
import type { Deserializer, RequestPacket } from '../wire/deserializer';
import { toRawRecord, type KafkaParser } from '../wire/parser';
import { createDeadLetter } from '../pipeline/dead-letter';
import type { FailurePolicy } from '../pipeline/failure-policy';
import { describeHandler } from '../pipeline/handler-run';
import { runWithRetries } from '../pipeline/run-with-retries';
import { isPromiseLike } from '../pipeline/to-observable';
import type { TransformFailure } from './exactly-once-settings';
import type { ExactlyOnceOutput, TopicRecord, TransformResult } from './transform-outputs';

type Outputs = ExactlyOnceOutput | readonly ExactlyOnceOutput[] | void | null;

export interface ExactlyOnceHandlersOptions {
  /** The handler of each exactly-once topic. */
  readonly handlers: ReadonlyMap<string, HandlerDescriptor>;
  readonly parser: KafkaParser;
  readonly deserializer: Deserializer<RequestPacket>;
  /** Retry policy, silence timeout and dead-letter topic of each handler (its dead letters are not written by it). */
  readonly failures: FailurePolicy;
  /** The kafkajs objects a KafkaContext shows (the exactly-once consumer, the server's plain producer). */
  readonly tools: () => { readonly consumer: Consumer; readonly producer: Producer };
  readonly logger: Logger;
}

/** A handler that failed for good, with the attempts it took: what the transform rejects with. */
class HandlerFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly attempts: number,
    readonly handler: string,
  ) {
    super(`${handler}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    this.name = 'HandlerFailed';
  }
}

export class ExactlyOnceHandlers {
  readonly #options: ExactlyOnceHandlersOptions;
  #failed = 0;

  constructor(options: ExactlyOnceHandlersOptions) {
    this.#options = options;
  }

  /**
   * Handler runs that failed for good so far (dead-lettered or skipped). A record whose transaction then
   * aborted runs again, and counts again if it fails again.
   */
  get failed(): number {
    return this.#failed;
  }

  /** The exactly-once consumer's transform: what the topic's handler returns for `record`. */
  readonly transform = (record: ConsumedRecord): TransformResult => {
    const handler = this.#options.handlers.get(record.topic);
    // Only subscribed topics arrive, and each has its handler.
    if (!handler) return undefined;
    return this.#run(handler, record);
  };

  /** The exactly-once consumer's failure policy: a dead letter when the handler has one, else a skip. */
  readonly onTransformFailure = ({ record, error, failure }: TransformFailure): readonly TopicRecord[] => {
    const handler = this.#options.handlers.get(record.topic);
    // Not a HandlerFailed: the handler returned an output without a topic (found when it was encoded).
    const failed =
      error instanceof HandlerFailed
        ? error
        : new HandlerFailed(error, 1, handler ? describeHandler(handler) : 'transform');
    this.#failed += 1;
    const deadLetter = handler ? this.#options.failures.deadLetterOf(handler) : false;
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    this.#options.logger.error(
      `${failed.handler} failed after ${failed.attempts} attempt(s); the record is ${deadLetter ? `dead-lettered to ${deadLetter(record.topic)}` : 'skipped'} in its transaction`,
      { ...where, error: failed.error, code: failure.code },
    );
    if (!deadLetter) return [];
    return [
      {
        topic: deadLetter(record.topic),
        record: createDeadLetter(record, {
          error: failed.error,
          attempts: failed.attempts,
          handler: failed.handler,
        }),
      },
    ];
  };

  async #run(handler: HandlerDescriptor, consumed: ConsumedRecord): Promise<Outputs> {
    const { parser, deserializer, failures, tools } = this.#options;
    const record = toRawRecord(consumed.message, consumed.topic, consumed.partition);
    const message = parser.parse(record);
    let attempts = 0;
    try {
      const packet = await deserializer.deserialize(message, { channel: record.topic });
      const { consumer, producer } = tools();
      // The exactly-once consumer heartbeats between records itself.
      const heartbeat = () => Promise.resolve();
      const context = new KafkaContext([
        message,
        record.partition,
        record.topic,
        consumer,
        heartbeat,
        producer,
      ]);
      publishHandlerStart('event', handler, context);
      const retry = failures.retryOf(handler);
      const outputs = await runWithRetries(
        async (attempt) => {
          attempts = attempt;
          let result: unknown = handler.invoke(packet.data, context);
          if (isPromiseLike(result) && !isObservable(result)) {
            result = await failures.withDeadline(result, handler, context);
          }
          if (!isObservable(result)) return result as Outputs;
          const outputs$ = failures.withTimeout(result, handler, context) as Observable<ExactlyOnceOutput>;
          return lastValueFrom(outputs$.pipe(toArray()));
        },
        retry,
        isRetriableException,
        handlerRetryObserver('event', handler, context, retry.attempts),
      ).catch((error: unknown) => {
        publishHandlerError('event', handler, context, error);
        publishHandlerEnd('event', handler, context);
        throw error;
      });
      // Published when the outputs are the transaction's to produce, not when it commits (batch:end says so).
      publishHandlerEnd('event', handler, context);
      return outputs;
    } catch (error) {
      throw new HandlerFailed(error, attempts, attempts === 0 ? 'deserializer' : describeHandler(handler));
    }
  }
}
