/**
 * The ledger the command handlers write through: appends an event to `bank.events` (keyed by account, so
 * an account's events keep their order) and waits until the balances projection has applied it, so the
 * next command reads its own writes.
 */
import type { Projection, StreamProducer } from '../../lib';
import type { BankEvent } from './bank-events';
import type { Balances } from './balances';

export const BANK_LEDGER = Symbol.for('rxkafka.example.BankLedger');

export class BankLedger {
  readonly #balances: Projection<Balances>;
  readonly #producer: StreamProducer;
  readonly #topic: string;

  constructor(balances: Projection<Balances>, producer: StreamProducer, topic: string) {
    this.#balances = balances;
    this.#producer = producer;
    this.#topic = topic;
  }

  /** The balances as of the last event the projection applied. */
  get balances(): Balances {
    return this.#balances.state;
  }

  /** Resolves once the event is in Kafka and in the balances; returns where it was written. */
  async append(event: BankEvent): Promise<{ partition: number; offset: string }> {
    const [written] = await this.#producer.send(this.#topic, [
      { key: event.accountId, value: JSON.stringify(event) },
    ]);
    await this.#balances.waitFor([written]);
    return { partition: written.partition, offset: written.offset };
  }
}
