/**
 * A server in its own process for the retry-topics crash spec: consumes TOPIC at BROKERS in GROUP with retry
 * topics of RETRY_DELAYS_MS, says "listening" on stdout, and for each run of its handler "ok <id>" or
 * "fail <id>". A record whose id starts with "flaky" fails on the source topic and succeeds on a retry topic;
 * one starting with "poison" always fails (and ends in the dead-letter topic); the rest succeed.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import {
  Controller,
  Ctx,
  EventPattern,
  KafkaContext,
  KafkaServer,
  Payload,
  silentLogger,
} from '../../../lib';

const topic = String(process.env.TOPIC);
const delaysMs = String(process.env.RETRY_DELAYS_MS).split(',').map(Number);

@Controller()
class RetryChildController {
  @EventPattern(topic, { retryTopics: { delaysMs, createTopics: true } })
  handle(@Payload() order: { id: string }, @Ctx() context: KafkaContext): void {
    const fails =
      order.id.startsWith('poison') || (order.id.startsWith('flaky') && context.getTopic() === topic);
    process.stdout.write(`${fails ? 'fail' : 'ok'} ${order.id}\n`);
    if (fails) throw new Error(`${order.id} failed`);
  }
}

const container = new Container();
container.bind(RetryChildController).toSelf();
const server = new KafkaServer(container, {
  controllers: [RetryChildController],
  client: { brokers: String(process.env.BROKERS).split(','), clientId: String(process.env.NAME) },
  // A short session, so the group drops the killed member soon and the restarted one takes its partitions.
  consumer: { groupId: String(process.env.GROUP), sessionTimeout: 6_000, heartbeatInterval: 1_000 },
  subscribe: { fromBeginning: true },
  logger: silentLogger,
  ...(process.env.RXKAFKA_DRIVER === 'platformatic' ? { driver: 'platformatic' as const } : {}),
});
void server.listen().then(() => process.stdout.write('listening\n'));
