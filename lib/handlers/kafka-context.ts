import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import type { IncomingMessage } from '../wire/parser';

/**
 * The values a `KafkaContext` holds, in NestJS's order (`ctx-host/kafka.context.ts`), so
 * `getArgByIndex(i)` means what it means in Nest.
 */
export type KafkaContextArgs = [
  message: IncomingMessage,
  partition: number,
  topic: string,
  consumer: Consumer,
  heartbeat: () => Promise<void>,
  producer: Producer,
];

/** An index of `KafkaContextArgs`. */
export type KafkaContextArgIndex = 0 | 1 | 2 | 3 | 4 | 5;

/**
 * What a handler knows about the record it handles, given to the parameter marked `@Ctx()`. Same methods
 * and meaning as NestJS's `KafkaContext`.
 */
export class KafkaContext {
  readonly #args: Readonly<KafkaContextArgs>;

  /** Keeps a frozen copy of `args`; later changes to the caller's array do not show through. */
  constructor(args: KafkaContextArgs) {
    this.#args = Object.freeze([...args] as KafkaContextArgs);
  }

  /** The parsed record (key, value and headers decoded), with its topic and partition. */
  getMessage(): IncomingMessage {
    return this.#args[0];
  }

  getPartition(): number {
    return this.#args[1];
  }

  getTopic(): string {
    return this.#args[2];
  }

  /** The server's kafkajs consumer: for `commitOffsets` with `autoCommit: false`, `pause`, `seek`. */
  getConsumer(): Consumer {
    return this.#args[3];
  }

  /** kafkajs's `eachMessage` heartbeat: call it during long handlers to stay in the consumer group. */
  getHeartbeat(): () => Promise<void> {
    return this.#args[4];
  }

  /** The server's kafkajs producer. */
  getProducer(): Producer {
    return this.#args[5];
  }

  /** All values, in the order of `KafkaContextArgs`. */
  getArgs(): Readonly<KafkaContextArgs> {
    return this.#args;
  }

  /** One value by its index in `KafkaContextArgs`; `undefined` past the end, as in NestJS. */
  getArgByIndex<I extends KafkaContextArgIndex>(index: I): KafkaContextArgs[I];
  getArgByIndex(index: number): unknown;
  getArgByIndex(index: number): unknown {
    return this.#args[index];
  }
}
