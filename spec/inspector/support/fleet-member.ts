/**
 * One member of a fleet, in its own process: a KafkaServer of group FLEET_GROUP on FLEET_TOPIC that
 * publishes its inspector entries to FLEET_INSPECTION. Prints "ready" once assigned; on SIGTERM it drains,
 * stops publishing and exits 0.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, silentLogger } from '../../../lib';
import { publishInspection } from '../../../lib/inspector';

const {
  KAFKA_BROKERS = '',
  FLEET_TOPIC = '',
  FLEET_GROUP = '',
  FLEET_INSPECTION = '',
  FLEET_MEMBER = '',
} = process.env;

@Controller()
class SinkController {
  @EventPattern(FLEET_TOPIC)
  sink(): void {}
}

async function main(): Promise<void> {
  const brokers = KAFKA_BROKERS.split(',');
  const container = new Container();
  container.bind(SinkController).toSelf();
  const server = new KafkaServer(container, {
    controllers: [SinkController],
    client: { brokers, clientId: FLEET_MEMBER },
    consumer: { groupId: FLEET_GROUP },
    postfixId: '',
    logger: silentLogger,
  });
  const publisher = await publishInspection({
    sources: [{ name: 'server', source: server }],
    topic: FLEET_INSPECTION,
    client: { brokers },
    member: FLEET_MEMBER,
  });
  await server.listen();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void server
      .close()
      .then(() => publisher.close())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
