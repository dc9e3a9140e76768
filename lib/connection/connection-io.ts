import { fromCallback, fromPromise } from 'xstate';
import type { Logger } from '../logger';
import type { ConsumerOffsets } from '../offsets/consumer-offsets';
import type { ConnectionEvent } from './connection-events';
import {
  computeReconnectBackoffMs,
  connectionMachine,
  type ConnectionContext,
  type PartitionParams,
} from './connection-machine';

/** The I/O a connection machine is bound to: KafkaConnection's library calls, its offsets and its logger. */
export interface ConnectionIo {
  readonly clientId: string;
  readonly logger: Logger;
  /** The `listenToKafka` actor's body: forwards the driver's events until the returned function is called. */
  readonly listenToKafka: (sendBack: (event: ConnectionEvent) => void) => () => void;
  /** The `samplePartitions` actor's body: starts the partition actors' sampler, returns how to stop it. */
  readonly samplePartitions: () => (() => void) | undefined;
  /** Tells the partition actors of their progress now, not at the sampler's next tick. */
  readonly sampleProgress: () => void;
  readonly connectKafka: () => Promise<void>;
  readonly drainKafka: () => Promise<void>;
  readonly offsets: Pick<ConsumerOffsets, 'flush' | 'detach'>;
  readonly abandonInFlight: () => void;
  /** Stops fetching one partition (an operator's pause), and fetches it again. */
  readonly pause: (topic: string, partition: number) => void;
  readonly resume: (topic: string, partition: number) => void;
}

/**
 * The connection machine with its I/O actors and side-effect actions bound to `io`. The machine decides;
 * what it invokes and the lines it logs are here.
 */
export function provideConnectionIo(io: ConnectionIo) {
  const { clientId, logger } = io;
  return connectionMachine.provide({
    actors: {
      listenToKafka: fromCallback<ConnectionEvent>(({ sendBack }) => io.listenToKafka(sendBack)),
      samplePartitions: fromCallback<ConnectionEvent>(() => io.samplePartitions()),
      connectKafka: fromPromise<void, ConnectionContext>(() => io.connectKafka()),
      drainKafka: fromPromise<void, ConnectionContext>(() => io.drainKafka()),
    },
    actions: {
      // kafkajs announces a rebalance right before it rejoins, also when a heartbeat it sent itself failed
      // after a batch that only asked for a commit. That commit (or the one in flight before it) leaves on
      // the coordinator connection before kafkajs's FindCoordinator round trip and JoinGroup, and Kafka
      // takes commits of the current generation until this member has rejoined.
      flushCommits: () => void io.offsets.flush(),
      // The consumer has already left the group: nothing can be committed through it any more.
      detachCommitter: () => io.offsets.detach(),
      reportCrash: ({ event }) => {
        if (event.type !== 'kafka.crashed') return;
        logger.error(`consumer ${clientId} crashed`, { error: event.error, restart: event.restart });
      },
      // The one line a failed attempt gets (the library's own socket errors are logged at debug): what
      // failed, and when the next attempt starts. The attempt that ends a connect() is its rejection.
      reportConnectRetry: ({ context }) => {
        const retryInMs = computeReconnectBackoffMs(context.connectAttempts);
        const error = context.lastError;
        logger.warn(
          `connection ${clientId}: connect attempt ${context.connectAttempts} failed, next in ` +
            `${retryInMs} ms: ${error?.code ?? error?.name ?? 'Error'}: ${error?.message ?? 'unknown'}`,
          { attempt: context.connectAttempts, retryInMs },
        );
      },
      abandonInFlight: () => io.abandonInFlight(),
      sampleProgress: () => io.sampleProgress(),
      pauseFetching: (_, params) => {
        const { topic, partition } = params as PartitionParams;
        io.pause(topic, partition);
        logger.info(`partition ${topic}/${partition} paused by an operator`, { topic, partition });
      },
      resumeFetching: (_, params) => {
        const { topic, partition } = params as PartitionParams;
        try {
          io.resume(topic, partition);
          logger.info(`partition ${topic}/${partition} resumed`, { topic, partition });
        } catch (error) {
          // The consumer stopped meanwhile (kafkajs refuses a resume then); its next run starts unpaused.
          logger.debug(`could not resume ${topic}/${partition}`, { topic, partition, error });
        }
      },
      reportDrainDeadline: ({ context }) =>
        logger.warn(`drain deadline of ${context.drainDeadlineMs} ms passed: abandoning in-flight records`),
    },
  });
}
