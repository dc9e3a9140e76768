import { Observable, type OperatorFunction } from 'rxjs';
import type { WrittenOffset } from '../connection/written-offsets';
import type { OutgoingRecord } from '../kafka/kafka-record';
import { KafkaRequestSerializer } from '../wire/serializer';
import type { StreamProducer } from './stream-producer';

/** An element of the stream, with where its record was written. */
export interface ProducedRecord<T> {
  readonly input: T;
  readonly written: WrittenOffset;
}

/** Options of `produceTo()`. */
export interface ProduceToOptions<T> {
  /**
   * The record to write for an element. @defaultValue NestJS's serializer: an object with `key` or `value`
   * is an envelope `{ key, value, headers, partition }`, anything else is the value (JSON for objects)
   */
  readonly toRecord?: (element: T) => OutgoingRecord;
}

const serializer = new KafkaRequestSerializer();

/**
 * Writes each element to `topic` as a record, through `producer`, and emits it with where it was written
 * (`{ input, written: { topic, partition, offset } }`), in input order, once Kafka acknowledged it. Sends do
 * not wait for each other (the producer batches those of one moment into one request, one request in
 * flight, so records to one partition keep their order). A failed send, or a `toRecord` that throws, fails
 * the output. Follow it with `commitAfter((produced) => …)` to commit the input once its output is written.
 */
export function produceTo<T>(
  topic: string,
  producer: Pick<StreamProducer, 'send'>,
  options: ProduceToOptions<T> = {},
): OperatorFunction<T, ProducedRecord<T>> {
  const toRecord = options.toRecord ?? ((element: T) => serializer.serialize(element));
  return (source) =>
    new Observable<ProducedRecord<T>>((subscriber) => {
      const pending: Array<{ readonly input: T; written?: WrittenOffset }> = [];
      let sourceDone = false;
      // Emitted in input order: a later acknowledgement waits for the earlier ones.
      const emitSettled = (): void => {
        while (pending.length > 0 && pending[0].written) {
          const { input, written } = pending.shift() as { input: T; written: WrittenOffset };
          subscriber.next({ input, written });
        }
        if (sourceDone && pending.length === 0) subscriber.complete();
      };
      const subscription = source.subscribe({
        next: (input) => {
          let record: OutgoingRecord;
          try {
            record = toRecord(input);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          const entry: { readonly input: T; written?: WrittenOffset } = { input };
          pending.push(entry);
          producer.send(topic, [record]).then(
            ([written]) => {
              entry.written = written;
              emitSettled();
            },
            (error: unknown) => subscriber.error(error),
          );
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          emitSettled();
        },
      });
      return () => subscription.unsubscribe();
    });
}
