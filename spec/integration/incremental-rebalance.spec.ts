/**
 * A member joining and one leaving a group of three under steady event load: with KIP-848
 * (`groupProtocol: 'consumer'`, platformatic) only the partitions that change owner stop, and the others keep
 * being handled while the group changes; with kafkajs's eager rebalances every partition stops. Both lose
 * no event. One log line gives both figures when both cases run (the platformatic suite).
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import type { Producer } from 'kafkajs';
import {
  Controller,
  Ctx,
  EventPattern,
  KafkaContext,
  KafkaServer,
  Payload,
  silentLogger,
  type KafkaServerOptions,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName } from '../support/kafka-fixtures';
import { SPEC_DRIVER } from '../support/spec-driver';
import { eventually, sleep } from '../reliability/support/eventually';

const PARTITIONS = 6;
/** Events per publication, one per partition in turn, and the pause between publications. */
const BATCH = 12;
const PAUSE_MS = 40;
const MEMBERS = ['first', 'second', 'third'] as const;

interface Handled {
  readonly member: string;
  readonly partition: number;
  readonly id: number;
  readonly at: number;
}

/** Who owns which partition, as the members' connections say, stamped with when it was true. */
type Owners = ReadonlyMap<number, string>;

interface ChangeFigures {
  /** Partitions whose owner was the same before and after the change. */
  readonly unmoved: readonly number[];
  /** Events handled on those partitions, by their owner, between the change's start and its end. */
  readonly handledOnUnmoved: number;
  readonly windowMs: number;
}

interface ScenarioResult {
  readonly join: ChangeFigures;
  readonly leave: ChangeFigures;
  readonly published: number;
  readonly lost: number;
  readonly duplicates: number;
}

/** Records each event a member handles, with its partition and when the handler began. */
function createCountingController(topic: string, member: string, handled: Handled[]) {
  @Controller()
  class CountingController {
    @EventPattern(topic)
    async count(@Payload() event: { id: number }, @Ctx() context: KafkaContext): Promise<void> {
      handled.push({ member, partition: context.getPartition(), id: event.id, at: Date.now() });
      // A little work, so that records are in flight when partitions move.
      await sleep(2);
    }
  }
  return CountingController;
}

/** The current owners, when every partition has exactly one among `members`; otherwise undefined. */
function completeOwners(servers: ReadonlyMap<string, KafkaServer>, topic: string): Owners | undefined {
  const owners = new Map<number, string>();
  for (const [member, server] of servers) {
    if (server.connection.state !== 'assigned') return undefined;
    for (const partition of server.connection.assignment[topic] ?? []) {
      if (owners.has(partition)) return undefined;
      owners.set(partition, member);
    }
  }
  return owners.size === PARTITIONS ? owners : undefined;
}

function sameOwners(a: Owners, b: Owners): boolean {
  return [...a].every(([partition, member]) => b.get(partition) === member);
}

/**
 * True once the partitions' owners among `members` are not `before`'s any more: a partition left without an
 * owner (a member rebalancing or gone) or given to another.
 */
function hasOwnershipChanged(
  members: ReadonlyMap<string, KafkaServer>,
  topic: string,
  before: Owners,
): boolean {
  const owners = new Map<number, string>();
  for (const [member, server] of members) {
    // A member that has not started listening holds nothing.
    const [connection] = server.connections;
    for (const partition of connection?.assignment[topic] ?? []) {
      if (owners.has(partition)) return true;
      owners.set(partition, member);
    }
  }
  return owners.size !== before.size || !sameOwners(before, owners);
}

/**
 * Runs `change` and measures it: it starts when the owners among `members` first differ from `before` (a
 * member starting to join or leave moves nothing yet), and ends when every partition has one owner among
 * `after` again, owners different from `before`.
 */
async function measureChange(
  topic: string,
  before: Owners,
  members: ReadonlyMap<string, KafkaServer>,
  after: ReadonlyMap<string, KafkaServer>,
  change: () => Promise<void>,
  handled: readonly Handled[],
): Promise<ChangeFigures> {
  let startedAt: number | undefined;
  let owners: Owners | undefined;
  let watching = true;
  const watch = (async () => {
    while (watching && startedAt === undefined) {
      if (hasOwnershipChanged(members, topic, before)) startedAt = Date.now();
      await sleep(10);
    }
  })();
  await change();
  await eventually(
    () => {
      owners = completeOwners(after, topic);
      return owners !== undefined && !sameOwners(before, owners);
    },
    'every partition owned once by the new members',
    120_000,
  );
  const endedAt = Date.now();
  watching = false;
  await watch;
  const start = startedAt ?? endedAt;
  const unmoved = [...before].filter(([partition, member]) => owners?.get(partition) === member);
  const handledOnUnmoved = handled.filter(
    ({ partition, member, at }) =>
      at >= start && at <= endedAt && unmoved.some(([p, owner]) => p === partition && owner === member),
  ).length;
  return { unmoved: unmoved.map(([partition]) => partition), handledOnUnmoved, windowMs: endedAt - start };
}

async function publishUntil(producer: Producer, topic: string, stop: () => boolean): Promise<number> {
  let next = 0;
  while (!stop()) {
    const messages = Array.from({ length: BATCH }, (_, index) => {
      const id = next + index;
      return { partition: id % PARTITIONS, value: JSON.stringify({ id }) };
    });
    await producer.send({ topic, messages });
    next += BATCH;
    await sleep(PAUSE_MS);
  }
  return next;
}

async function runScenario(
  options: Pick<KafkaServerOptions, 'driver' | 'groupProtocol'> & { heartbeatIntervalMs?: number },
): Promise<ScenarioResult> {
  const { brokers } = await useTestBroker();
  const topic = uniqueName('incremental');
  const groupId = uniqueName('incremental-group');
  await createTopics([{ topic, numPartitions: PARTITIONS }]);
  const handled: Handled[] = [];
  const createServer = (member: string): KafkaServer => {
    const controller = createCountingController(topic, member, handled);
    const container = new Container();
    container.bind(controller).toSelf().inSingletonScope();
    return new KafkaServer(container, {
      controllers: [controller],
      client: { brokers: [...brokers], clientId: `${topic}-${member}` },
      consumer: {
        groupId,
        ...(options.heartbeatIntervalMs === undefined
          ? {}
          : { heartbeatInterval: options.heartbeatIntervalMs }),
      },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...(options.driver === undefined ? {} : { driver: options.driver }),
      ...(options.groupProtocol === undefined ? {} : { groupProtocol: options.groupProtocol }),
    });
  };
  const servers = new Map(MEMBERS.map((member) => [member as string, createServer(member)]));
  const fourth = createServer('fourth');
  const producer = (await testKafka()).producer({ idempotent: true });
  let stopped = false;
  let publishing: Promise<number> = Promise.resolve(0);
  try {
    await producer.connect();
    for (const server of servers.values()) await server.listen();
    publishing = publishUntil(producer, topic, () => stopped);
    let before: Owners | undefined;
    await eventually(
      () => (before = completeOwners(servers, topic)) !== undefined && handled.length >= 500,
      'three members sharing every partition, and 500 events handled',
      120_000,
    );
    const withFourth = new Map([...servers, ['fourth', fourth]]);
    const join = await measureChange(
      topic,
      before as Owners,
      withFourth,
      withFourth,
      async () => void (await fourth.listen()),
      handled,
    );
    const afterJoin = completeOwners(withFourth, topic) as Owners;
    const withoutFirst = new Map([...withFourth].filter(([member]) => member !== 'first'));
    const first = servers.get('first') as KafkaServer;
    const leave = await measureChange(
      topic,
      afterJoin,
      withFourth,
      withoutFirst,
      async () => void (await first.close()),
      handled,
    );
    stopped = true;
    const published = await publishing;
    await eventually(
      () => new Set(handled.map(({ id }) => id)).size >= published,
      `all ${published} events handled`,
      120_000,
      () => `${new Set(handled.map(({ id }) => id)).size} handled`,
    );
    const ids = new Set(handled.map(({ id }) => id));
    const lost = Array.from({ length: published }, (_, id) => id).filter((id) => !ids.has(id)).length;
    return { join, leave, published, lost, duplicates: handled.length - ids.size };
  } finally {
    stopped = true;
    await publishing.catch(() => 0);
    await producer.disconnect();
    for (const server of [...servers.values(), fourth]) await server.close({ mode: 'abandon' });
  }
}

function describeFigures(name: string, result: ScenarioResult | undefined): string {
  if (!result) return `${name}: not run`;
  const { join, leave } = result;
  return (
    `${name}: handled on unmoved partitions during the join ${join.handledOnUnmoved} ` +
    `(${join.unmoved.length} unmoved, ${join.windowMs} ms), during the leave ${leave.handledOnUnmoved} ` +
    `(${leave.unmoved.length} unmoved, ${leave.windowMs} ms); events ${result.published}, lost ${result.lost}, ` +
    `handled twice ${result.duplicates}`
  );
}

describe('incremental rebalances (KIP-848) against eager ones, a member joining then one leaving', () => {
  let eager: ScenarioResult | undefined;
  let incremental: ScenarioResult | undefined;

  after(() => {
    process.stdout.write(
      `      [incremental-rebalance] ${describeFigures('KIP-848 on platformatic', incremental)}; ` +
        `${describeFigures('eager on kafkajs', eager)}\n`,
    );
  });

  it('with kafkajs (eager rebalances): loses no event across the join and the leave', async function () {
    this.timeout(300_000);
    // Members learn of a rebalance at their next heartbeat: beat often, so the change is short.
    eager = await runScenario({ driver: 'kafkajs', heartbeatIntervalMs: 500 });
    expect(eager.lost, 'events lost').to.equal(0);
  });

  if (SPEC_DRIVER === 'platformatic') {
    it("with groupProtocol 'consumer' (platformatic): unmoved partitions keep being handled, and no event is lost", async function () {
      this.timeout(300_000);
      incremental = await runScenario({ driver: 'platformatic', groupProtocol: 'consumer' });
      expect(incremental.lost, 'events lost').to.equal(0);
      expect(incremental.join.unmoved, 'partitions that kept their owner at the join').to.have.length.above(
        0,
      );
      expect(incremental.join.handledOnUnmoved, 'handled on unmoved partitions during the join').to.be.above(
        0,
      );
      expect(incremental.leave.unmoved, 'partitions that kept their owner at the leave').to.have.length.above(
        0,
      );
      expect(
        incremental.leave.handledOnUnmoved,
        'handled on unmoved partitions during the leave',
      ).to.be.above(0);
    });
  } else {
    it(
      "with groupProtocol 'consumer': unmoved partitions keep being handled [not on kafkajs: KIP-848 needs driver 'platformatic', run by npm run test:platformatic]",
    );
  }
});
