/**
 * Reads one topic in a consumer group of its own (a fresh id per reader), handing each record's value to
 * `onRecord` and moving past it whatever that does: the inspector's fleet topic and its command topic are
 * read this way, and a record neither understands is the reader's to log, never to stall on.
 */
import { randomBytes } from 'node:crypto';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import type { FetchedBatch } from '../kafka/fetched-batch';
import { createKafkajsDriver } from '../kafka/kafkajs/kafkajs-driver';
import type { Logger } from '../logger';
import type { FleetTopic } from './fleet-topic';

export interface TopicReaderOptions {
  readonly client: FleetTopic['client'];
  readonly topic: string;
  /** The client id's and the group's prefix; a random suffix makes each reader its own group. */
  readonly clientIdPrefix: string;
  /** From the topic's beginning (the fleet's history), or from its end when the reader starts (commands). */
  readonly fromBeginning: boolean;
  readonly onRecord: (value: Buffer | null, offset: string) => void;
  readonly logger: Logger;
}

/** Starts reading; resolves once the reader has joined its group. */
export async function readTopic(options: TopicReaderOptions): Promise<{ close(): Promise<void> }> {
  const clientId = `${options.clientIdPrefix}-${randomBytes(4).toString('hex')}`;
  const driver = createKafkajsDriver({ ...options.client, clientId }, options.logger);
  const connection = createKafkaConnection(
    { driver, clientId, logger: options.logger, groupId: clientId },
    {
      kind: 'consumer',
      topics: [options.topic],
      fromBeginning: options.fromBeginning,
      eachBatch: async ({ batch, resolveOffset }: FetchedBatch) => {
        for (const message of batch.messages) {
          options.onRecord(message.value, message.offset);
          resolveOffset(message.offset);
        }
      },
    },
  );
  await connection.connect();
  return {
    close: async () => {
      await connection.close('abandon');
      connection.dispose();
    },
  };
}
