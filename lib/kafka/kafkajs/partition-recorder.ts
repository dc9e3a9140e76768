import type { ICustomPartitioner, Message } from 'kafkajs';
import { Partitioners } from './kafkajs-library';

/**
 * Pins each message to the partition kafkajs's partitioner first chose for it, and remembers that choice,
 * so the produce queue can check that a produce response covers every partition it wrote to.
 *
 * Why: kafkajs 2.2.4's `sendMessages` keeps the brokers' answers across retries. When one broker fails
 * and its partitions' new leader already answered for other partitions of the same request, kafkajs never
 * sends those partitions again, yet resolves the send (kafkajs issue #1303, PR #1798): acknowledged
 * messages are lost when a leader dies. kafkajs also partitions every message again on each retry, which
 * moves keyless messages to other partitions; the answer it returns is merged from several attempts, so
 * only a choice that holds across attempts tells which messages it covers. Java's producer does the same:
 * a retried batch keeps its partition.
 */
export class PartitionRecorder {
  readonly #chosen = new WeakMap<Message, number>();

  /** `inner` (kafkajs's default partitioner when absent), pinning and recording each choice. */
  wrap(inner: ICustomPartitioner = Partitioners.DefaultPartitioner): ICustomPartitioner {
    return () => {
      const choose = inner();
      return (args) => {
        // A message with its own partition (a reply to a valid kafka_replyPartition) moves nowhere on a retry.
        const explicit = args.message.partition;
        if (explicit !== undefined && explicit !== null) return choose(args);
        const pinned = this.#chosen.get(args.message);
        if (
          pinned !== undefined &&
          args.partitionMetadata.some(({ partitionId }) => partitionId === pinned)
        ) {
          return pinned;
        }
        const partition = choose(args);
        this.#chosen.set(args.message, partition);
        return partition;
      };
    };
  }

  /** The partition `message` is pinned to; undefined before its first send. */
  partitionOf(message: Message): number | undefined {
    return this.#chosen.get(message);
  }
}
