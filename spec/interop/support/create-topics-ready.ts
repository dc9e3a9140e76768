import { createTopics } from '../../support/kafka-fixtures';

/** The shared `createTopics`, which waits for every partition's leader. */
export async function createTopicsReady(
  topics: ReadonlyArray<{ topic: string; numPartitions?: number }>,
): Promise<void> {
  await createTopics(topics);
}
