import { Logger } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { toNestKafkaOptions, type NestKafkaOptions } from './nest-microservice';

/**
 * A real NestJS `ClientKafka`, subscribed to the replies of `patterns` and connected. Its reply consumer
 * reads new reply topics from the beginning: a fresh group otherwise resolves "latest" only at its first
 * fetch, and would skip a reply produced before it.
 */
export async function connectNestClient(
  patterns: readonly string[],
  options: NestKafkaOptions,
): Promise<ClientKafka> {
  Logger.overrideLogger(false);
  const client = new ClientKafka(toNestKafkaOptions(options));
  for (const pattern of patterns) client.subscribeToResponseOf(pattern);
  await client.connect();
  return client;
}
