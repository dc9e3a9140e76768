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
 * The most records one send carries: a burst larger than this (a `from(array)` of thousands) leaves in
 * several sends, so no produce request grows past what a broker takes in one partition's record batch
 * (`message.max.bytes`, 1 MiB by default) for records of a few hundred bytes. `consume()` emits at most its
 * `bufferSize` (1,000 by default) in one burst.
 */
const MAX_RECORDS_PER_SEND = 1_000;

/** The elements of one moment and their records, sent together; `written` once Kafka acknowledged them. */
interface SendGroup<T> {
  readonly inputs: T[];
  readonly records: OutgoingRecord[];
  written?: WrittenOffset[];
}

/**
 * Writes each element to `topic` as a record, through `producer`, and emits it with where it was written
 * (`{ input, written: { topic, partition, offset } }`), in input order, once Kafka acknowledged it. The
 * elements that arrive in one moment (one synchronous burst, such as a fetched batch emitted by `consume()`)
 * leave in one `send`, and sends do not wait for each other: the producer sends what is queued together, one
 * request in flight, so records to one partition keep their order. A failed send, or a `toRecord` that
 * throws, fails the output. Follow it with `commitAfter((produced) => …)` to commit the input once its output
 * is written.
 */
export function produceTo<T>(
  topic: string,
  producer: Pick<StreamProducer, 'send'>,
  options: ProduceToOptions<T> = {},
): OperatorFunction<T, ProducedRecord<T>> {
  const toRecord = options.toRecord ?? ((element: T) => serializer.serialize(element));
  return (source) =>
    new Observable<ProducedRecord<T>>((subscriber) => {
      // Groups in send order; the first is the oldest not emitted yet.
      const groups: Array<SendGroup<T>> = [];
      // The group the current moment fills, sent from a microtask (one send per burst, not per element).
      let filling: SendGroup<T> | undefined;
      let sourceDone = false;
      // Emitted in input order: a later acknowledgement waits for the earlier ones.
      const emitSettled = (): void => {
        while (groups.length > 0 && groups[0].written) {
          const { inputs, written } = groups.shift() as Required<SendGroup<T>>;
          for (let index = 0; index < inputs.length; index++) {
            subscriber.next({ input: inputs[index], written: written[index] });
          }
        }
        if (sourceDone && groups.length === 0 && filling === undefined) subscriber.complete();
      };
      const sendFilling = (): void => {
        const group = filling;
        filling = undefined;
        if (group === undefined || subscriber.closed) return;
        groups.push(group);
        producer.send(topic, group.records).then(
          (written) => {
            group.written = written;
            emitSettled();
          },
          (error: unknown) => subscriber.error(error),
        );
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
          if (filling !== undefined && filling.records.length >= MAX_RECORDS_PER_SEND) sendFilling();
          if (filling === undefined) {
            filling = { inputs: [], records: [] };
            queueMicrotask(sendFilling);
          }
          filling.inputs.push(input);
          filling.records.push(record);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          sendFilling();
          emitSettled();
        },
      });
      return () => subscription.unsubscribe();
    });
}
