/**
 * A server process for the shutdown-hooks spec: listens on TOPIC at BROKERS, enables the hooks, and says
 * "listening" on stdout. The spec then sends SIGTERM.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { Controller, createStreamLogger, EventPattern, KafkaServer } from '../../lib';
import { specDriver } from './spec-driver';

const topic = String(process.env.TOPIC);

@Controller()
class SinkController {
  @EventPattern(topic)
  sink(): void {}
}

const container = new Container();
container.bind(SinkController).toSelf();
const server = new KafkaServer(container, {
  client: { brokers: String(process.env.BROKERS).split(',') },
  consumer: { groupId: `${topic}-group` },
  logger: createStreamLogger('info', process.stdout),
  ...specDriver(),
});
server.enableShutdownHooks(['SIGTERM']);
void server.listen().then(() => process.stdout.write('listening\n'));
