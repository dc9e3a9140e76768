/**
 * At `listen()`: the retry topics and dead-letter topics of `retryTopics` handlers exist before the consumer
 * subscribes, created with their source topic's partition count where `createTopics` asks for it. A
 * missing one fails `listen()` by name, not the first failed record much later.
 */
import { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import type { Logger } from '../logger';
import type { RetrySchedule } from './retry-topic-routes';

/**
 * @throws RxKafkaError `RXK_TOPIC_NOT_FOUND` naming the missing topic and its handler (or the source topic,
 *   when that is missing), and what the driver's admin calls throw.
 */
export async function ensureRetryTopics(
  driver: KafkaDriver,
  plans: readonly RetrySchedule[],
  logger: Logger,
): Promise<void> {
  for (const plan of plans) {
    const needed = plan.deadLetter === false ? plan.topics : [...plan.topics, plan.deadLetter];
    if (plan.createTopics) {
      const partitions = (await driver.fetchEndOffsets(plan.source)).length;
      for (const topic of needed) {
        if (await driver.createTopicIfMissing(topic, {}, partitions)) {
          logger.info(
            `created ${topic} for ${plan.name} with ${partitions} partition(s), as ${plan.source}`,
            {
              topic,
              partitions,
            },
          );
        }
      }
      continue;
    }
    for (const topic of needed) await requireTopic(driver, topic, plan);
  }
}

async function requireTopic(driver: KafkaDriver, topic: string, plan: RetrySchedule): Promise<void> {
  try {
    await driver.fetchEndOffsets(topic);
  } catch (error) {
    if (!RxKafkaError.isRxKafkaError(error) || error.code !== 'RXK_TOPIC_NOT_FOUND') throw error;
    const role = plan.topics.includes(topic) ? 'retry topic' : 'dead-letter topic';
    throw new RxKafkaError(
      'RXK_TOPIC_NOT_FOUND',
      `the ${role} ${topic} of ${plan.name} (source ${plan.source}) does not exist: create it with as many partitions as ${plan.source}, or set retryTopics.createTopics: true`,
      { cause: error, topic, path: plan.path },
    );
  }
}
