/**
 * The records whose handlers are still running, by topic, partition and offset: what an operator's skip
 * looks up (see skip-record.ts). Only slow runs are here (a handler that returned a Promise or an
 * Observable): a synchronous one is over before anyone could ask.
 */
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { RawKafkaRecord } from '../wire/parser';

/** One event handler's run on a record, which a skip may cut off. */
export interface SkippableRun {
  readonly handler: HandlerDescriptor;
  /** Where the handler's failed records go; undefined when it has none (`deadLetter: false`). */
  readonly deadLetterTopic: string | undefined;
  /** Ends the run as done: what the handler does later is ignored, as after a handler timeout. */
  readonly cutOff: () => void;
}

/** A record in flight: a request (one run, answered to its caller) or an event (its handlers' runs). */
export interface RecordInFlight {
  readonly record: RawKafkaRecord;
  readonly kind: 'request' | 'event';
  readonly runs: Set<SkippableRun>;
  /** Set while a skip writes its dead letters, so a second skip of the same record is refused. */
  skipping: boolean;
}

export class RunsInFlight {
  readonly #records = new Map<string, RecordInFlight>();

  /** Notes a run (or a request, without one) on `record`; returns how to take it off once it is over. */
  add(record: RawKafkaRecord, kind: RecordInFlight['kind'], run?: SkippableRun): () => void {
    const key = keyOf(record.topic, record.partition, record.offset);
    let entry = this.#records.get(key);
    if (!entry) {
      entry = { record, kind, runs: new Set(), skipping: false };
      this.#records.set(key, entry);
    }
    if (run) entry.runs.add(run);
    const added = entry;
    return () => {
      if (run) added.runs.delete(run);
      if ((run === undefined || added.runs.size === 0) && this.#records.get(key) === added) {
        this.#records.delete(key);
      }
    };
  }

  /** The record at `offset` of `topic`/`partition`, while its handlers run. */
  find(topic: string, partition: number, offset: string): RecordInFlight | undefined {
    return this.#records.get(keyOf(topic, partition, offset));
  }
}

function keyOf(topic: string, partition: number, offset: string): string {
  return `${topic}/${partition}/${offset}`;
}
