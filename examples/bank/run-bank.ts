/**
 * The bank service wired together: the balances projection (with snapshots), the ledger, the command
 * server, the exactly-once transfer processor and a client. `startBank()` is what the example's spec and
 * the walkthrough (`npm run bank`) run.
 */
import { Container } from 'inversify';
import { Kafka, logLevel } from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import {
  createMicroservice,
  createProducer,
  KafkaClient,
  projection,
  registerControllers,
  type DrainReport,
  type ExactlyOnceProcessor,
  type ExactlyOnceReport,
  type KafkaServer,
  type Logger,
  type Projection,
} from '../../lib';
import { BankController, BANK_COMMANDS } from './bank.controller';
import { BankLedger, BANK_LEDGER } from './bank-ledger';
import { applyBankEvent, NO_BALANCES, type Balances } from './balances';
import { startTransferProcessor } from './transfer-processor';

export interface BankOptions {
  readonly brokers: readonly string[];
  readonly logger: Logger;
  /** Names this bank's events and snapshot topics and its groups, so several can share a cluster. @defaultValue 'bank' */
  readonly name?: string;
  /** A balances snapshot every this many events. @defaultValue 100 */
  readonly snapshotEvery?: number;
}

export interface Bank {
  readonly client: KafkaClient;
  readonly balances: Projection<Balances>;
  readonly processor: ExactlyOnceProcessor;
  readonly server: KafkaServer;
  readonly eventsTopic: string;
  readonly snapshotTopic: string;
  /** Stops the client, the server, the processor and the projection (which writes a last snapshot). */
  close(): Promise<{ server: DrainReport; processor: ExactlyOnceReport }>;
}

/** The balances projection of `name`'s events, starting from its latest snapshot. */
export function openBalances(options: BankOptions): Projection<Balances> {
  const name = options.name ?? 'bank';
  return projection(
    eventsTopicOf(name),
    (state: Balances, record) => applyBankEvent(state, record.value),
    NO_BALANCES,
    {
      client: { brokers: [...options.brokers], clientId: `${name}-balances` },
      name: `${name}-balances`,
      snapshots: { topic: `${name}.balances.snapshots`, every: options.snapshotEvery ?? 100 },
      logger: options.logger,
    },
  );
}

export async function startBank(options: BankOptions): Promise<Bank> {
  const name = options.name ?? 'bank';
  const { brokers, logger } = options;
  const eventsTopic = eventsTopicOf(name);
  await createBankTopics(brokers, eventsTopic);

  const balances = openBalances(options);
  await firstValueFrom(balances.caughtUp$);
  const producer = createProducer({
    client: { brokers: [...brokers], clientId: `${name}-ledger` },
    producer: { idempotent: true },
    logger,
  });
  await producer.connect();

  const container = new Container();
  container.bind(BANK_LEDGER).toConstantValue(new BankLedger(balances, producer, eventsTopic));
  registerControllers(container, [BankController]);
  const server = createMicroservice(container, {
    client: { brokers: [...brokers], clientId: `${name}-commands` },
    consumer: { groupId: `${name}-commands` },
    ordering: 'key',
    logger,
  });
  await server.listen();

  const processor = startTransferProcessor({ brokers, eventsTopic, groupId: `${name}-transfers`, logger });
  await processor.start();

  const client = new KafkaClient({
    client: { brokers: [...brokers], clientId: `${name}-client` },
    consumer: { groupId: `${name}-client` },
    requestTimeoutMs: 15_000,
    logger,
  });
  for (const command of BANK_COMMANDS) client.subscribeToResponseOf(command);
  await client.connect();

  return {
    client,
    balances,
    processor,
    server,
    eventsTopic,
    snapshotTopic: `${name}.balances.snapshots`,
    close: async () => {
      await client.close();
      const serverReport = await server.close();
      const processorReport = await processor.close();
      await producer.close();
      await balances.close();
      return { server: serverReport, processor: processorReport };
    },
  };
}

function eventsTopicOf(name: string): string {
  return `${name}.events`;
}

/** The command and reply topics (shared by every bank on a cluster) and this bank's events topic. */
async function createBankTopics(brokers: readonly string[], eventsTopic: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'bank-admin',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      { topic: eventsTopic, numPartitions: 4 },
      ...BANK_COMMANDS.flatMap((command) => [
        { topic: command, numPartitions: 4 },
        { topic: `${command}.reply`, numPartitions: 1 },
      ]),
    ].filter(({ topic }) => !existing.has(topic));
    if (wanted.length > 0) await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
