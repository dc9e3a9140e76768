import { Container } from 'inversify';
import { Kafka, logLevel } from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import {
  createMicroservice,
  createStreamLogger,
  KafkaClient,
  registerControllers,
  type Logger,
} from '../../lib';
import { HeroesController, Item, KillDragonMessage } from './heroes.controller';

const TOPICS = [
  'hero.kill.dragon',
  'hero.kill.dragon.reply',
  'hero.kill.dragon.keyed',
  'hero.kill.dragon.keyed.reply',
  'hero.killed.dragon',
];

/**
 * Runs the heroes service and a client against `brokers`: one request/reply round trip, one keyed reply
 * with headers, one event. Prints what happens through `print`; rxkafka's and kafkajs's own lines go to
 * `logger` (by default what every server and client gets: warnings and errors on stderr).
 */
export async function runHeroes(
  brokers: readonly string[],
  print: (line: string) => void,
  logger: Logger = createStreamLogger('warn'),
): Promise<void> {
  await createTopics(brokers);

  const container = new Container();
  registerControllers(container, [HeroesController]);
  const server = createMicroservice(container, {
    client: { brokers: [...brokers], clientId: 'heroes' },
    logger,
  });
  await server.listen();
  print(
    `server listening: consumer ${server.connection.state}, partitions ${JSON.stringify(server.connection.assignment)}`,
  );

  const client = new KafkaClient({
    client: { brokers: [...brokers], clientId: 'heroes' },
    requestTimeoutMs: 10_000,
    logger,
  });
  client.subscribeToResponseOf('hero.kill.dragon');
  client.subscribeToResponseOf('hero.kill.dragon.keyed');
  await client.connect();
  print(`client connected: replies come to ${JSON.stringify(client.getConsumerAssignments())}`);

  const started = Date.now();
  const items = await firstValueFrom(
    client.send<Item[], KillDragonMessage>('hero.kill.dragon', { heroId: 1, dragonId: 7 }),
  );
  print(`hero.kill.dragon → ${JSON.stringify(items)} (${Date.now() - started} ms round trip)`);

  const keyed = await firstValueFrom(
    client.send<Item[]>('hero.kill.dragon.keyed', { heroId: 2, dragonId: 8 }),
  );
  print(`hero.kill.dragon.keyed → ${JSON.stringify(keyed)}`);

  await firstValueFrom(client.emit('hero.killed.dragon', { heroId: 3, dragonId: 9 }));
  print('hero.killed.dragon emitted');

  await client.close();
  const report = await server.close();
  print(
    `server closed: ${report.recordsFinished} records handled, ${report.repliesSent} replies sent, committed ${JSON.stringify(report.committed)}`,
  );
}

/** Creates the heroes topics that do not exist yet (hero.kill.dragon with 4 partitions: a rebalance shows). */
export async function createTopics(brokers: readonly string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'heroes-admin',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin.createTopics({
    waitForLeaders: true,
    topics: TOPICS.filter((topic) => !existing.has(topic)).map((topic) => ({
      topic,
      numPartitions: topic === 'hero.kill.dragon' ? 4 : 1,
    })),
  });
  await admin.disconnect();
}
