/**
 * The connection statechart is what runs: real connections (the kafkajs adapter, a real broker) are driven
 * through every state the chart has, and the edges they take, read from xstate's own microsteps, are
 * compared with the chart's edges. An edge the chart has and no connection takes here must be on the short
 * list below, with the reason and the unit spec that takes it instead.
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import type { Subscription } from 'rxjs';
import { Controller, EventPattern, KafkaConnection, KafkaServer, silentLogger } from '../../lib';
import { connectionMachine } from '../../lib/connection/connection-machine';
import { edgeKey, listChartEdges, observeEdges } from '../../lib/connection/inspection';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { createKafkajsDriver } from '../../lib/kafka/kafkajs/kafkajs-driver';
import { findFreePort } from '../../lib/testing/free-port';
import { uniqueName } from '../support/kafka-fixtures';
import { eventually } from './support/eventually';
import { usePrivateKafka } from './support/private-kafka';
import { createRawKafka, createTopicsOn } from './support/raw-kafka';

/** Chart edges no connection here takes, each with why, and where a spec takes it on a fake driver. */
const NOT_TAKEN_HERE: Readonly<Record<string, string>> = {
  'connecting.starting --xstate.done.actor.connectKafka--> connecting.joining':
    'guarded by the driver capability joinsAfterConsume, which kafkajs lacks: it joins inside ' +
    'consumer.run(), so its join (or its crash) always precedes the end of connectKafka (kafka-connection.spec: ' +
    '"waits in connecting.joining, not ready, for a join a driver reports after consume()")',
  'connecting.joining --kafka.group.joined--> assigned': 'as above',
  'draining --xstate.error.actor.drainKafka--> stopped':
    'a drain whose disconnect throws: kafkajs 2.2.4 swallows disconnect errors, and a failed last commit is ' +
    'logged, not thrown, so with kafkajs only a bug takes it. Kept so that close() ends whatever a driver ' +
    'does (connection-machine.spec: "still ends stopped, with lastError, when drainKafka fails")',
  'connecting --kafka.crashed--> reconnecting.restarting':
    'a join that fails for a retriable reason during the first connect (a refused one is taken here); ' +
    'timing-bound (connection-machine.spec: "moves to reconnecting.restarting when kafkajs crashes and restarts")',
  'rebalancing --kafka.crashed--> reconnecting.restarting':
    'a crash inside the few hundred milliseconds of a rejoin (connection-machine.spec: rebalancing)',
  'rebalancing --kafka.crashed--> failed': 'as above',
  'reconnecting --kafka.crashed--> failed':
    'a restart kafkajs gives up on; it restarts retriable failures for ever (connection-machine.spec: ' +
    '"fails when a crash without restart comes during the backoff")',
};

// Edges taken here or not depending on how long the broker takes to come back: allowed, not required.
const TIMING_DEPENDENT = new Set(['reconnecting --kafka.crashed--> reconnecting.restarting']);

function createHangingController(topic: string, started: string[]) {
  @Controller()
  class HangingController {
    @EventPattern(topic)
    hang(value: unknown): Promise<void> {
      started.push(String(value));
      return new Promise<void>(() => undefined);
    }
  }
  return HangingController;
}

describe('the connection statechart against a real broker (reliability)', function () {
  this.timeout(240_000);
  const privateKafka = usePrivateKafka(1, { startMs: 180_000, stopMs: 60_000 });
  const taken = new Map<string, number>();
  const watching: Subscription[] = [];
  const open: KafkaConnection[] = [];
  const servers: KafkaServer[] = [];

  /** Records every edge `connection` takes from now on; returns them in order, for one scenario's checks. */
  function watch(connection: KafkaConnection): string[] {
    const own: string[] = [];
    watching.push(
      observeEdges(connection.actor).subscribe((edge) => {
        const key = edgeKey(edge);
        own.push(key);
        taken.set(key, (taken.get(key) ?? 0) + 1);
      }),
    );
    return own;
  }

  function createConnection(
    options: {
      brokers?: string[];
      groupId?: string;
      topic?: string;
      maxConnectAttempts?: number;
      connectTimeoutMs?: number;
      consumerRetry?: { restartOnFailure?: (error: Error) => Promise<boolean> };
      sessionTimeout?: number;
    } = {},
  ): KafkaConnection {
    const brokers = options.brokers ?? [...privateKafka().brokers];
    const clientId = uniqueName('chart');
    const driver = createKafkajsDriver(
      {
        brokers,
        clientId,
        connectionTimeout: 1_000,
        // Short retries: a lost broker shows as a crash (or a failed send) in seconds, not minutes.
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      },
      silentLogger,
    );
    const eachBatch = async ({ batch, resolveOffset }: FetchedBatch) => {
      for (const message of batch.messages) resolveOffset(message.offset);
    };
    const connection = new KafkaConnection({
      driver,
      clientId,
      logger: silentLogger,
      maxConnectAttempts: options.maxConnectAttempts ?? 5,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      consumer:
        options.groupId && options.topic
          ? {
              groupId: options.groupId,
              topics: [options.topic],
              fromBeginning: true,
              eachBatch,
              librarySettings: {
                ...(options.consumerRetry
                  ? { retry: { retries: 2, initialRetryTime: 100, ...options.consumerRetry } }
                  : {}),
                ...(options.sessionTimeout === undefined
                  ? {}
                  : {
                      sessionTimeout: options.sessionTimeout,
                      heartbeatInterval: options.sessionTimeout / 3,
                    }),
              },
            }
          : undefined,
    });
    open.push(connection);
    return connection;
  }

  after(async () => {
    watching.splice(0).forEach((subscription) => subscription.unsubscribe());
    for (const server of servers) await server.close({ mode: 'abandon' }).catch(() => undefined);
    for (const connection of open) {
      await connection.close('abandon').catch(() => undefined);
      connection.dispose();
    }
  });

  it('joins, rebalances with a second member, drains, closes twice, connects again and abandons', async () => {
    const brokers = [...privateKafka().brokers];
    const topic = uniqueName('chart-group');
    await createTopicsOn(brokers, [{ topic, numPartitions: 2 }]);
    const groupId = uniqueName('chart-group');
    const first = createConnection({ groupId, topic });
    const firstEdges = watch(first);
    await first.connect();
    expect(first.assignment[topic]).to.have.members([0, 1]);
    const partitionIds = (connection: KafkaConnection) => connection.partitions.map(({ id }) => id).sort();
    expect(partitionIds(first)).to.deep.equal([`partition:${topic}/0`, `partition:${topic}/1`]);

    const second = createConnection({ groupId, topic });
    const secondEdges = watch(second);
    await second.connect();
    await eventually(
      () =>
        first.state === 'assigned' &&
        (first.assignment[topic] ?? []).length === 1 &&
        second.state === 'assigned' &&
        (second.assignment[topic] ?? []).length === 1,
      'the members to share the partitions',
    );
    // A partition actor per assigned partition, on each member: the two lists split the topic.
    expect(first.partitions).to.have.length(1);
    expect(second.partitions).to.have.length(1);
    expect([...partitionIds(first), ...partitionIds(second)].sort()).to.deep.equal([
      `partition:${topic}/0`,
      `partition:${topic}/1`,
    ]);
    expect(first.partitions[0].state).to.be.oneOf(['idle', 'processing']);
    await second.close('drain');
    expect(second.partitions).to.deep.equal([]);
    await eventually(
      () => (first.assignment[topic] ?? []).length === 2,
      'the first member to take both back',
    );
    expect(partitionIds(first)).to.deep.equal([`partition:${topic}/0`, `partition:${topic}/1`]);

    await first.close('drain');
    await first.close('drain');
    await first.connect();
    await first.close('abandon');

    expect(secondEdges).to.deep.equal([
      'idle --kafka.connect--> connecting',
      'connecting.starting --xstate.done.actor.connectKafka--> assigned',
      'assigned --kafka.drain--> draining',
      'draining --xstate.done.actor.drainKafka--> stopped',
    ]);
    // On a loaded machine kafkajs may crash its first join (a timed-out JoinGroup) and restart by itself: the
    // member then reaches `assigned` through `reconnecting`, which is the chart's own path for it. At most one
    // such restart is allowed, and it counts as the plain connect for the comparison.
    const restartedJoin = [
      'connecting --kafka.crashed--> reconnecting.restarting',
      'reconnecting --kafka.group.joined--> assigned',
    ];
    if (firstEdges[1] === restartedJoin[0] && firstEdges[2] === restartedJoin[1]) {
      firstEdges.splice(1, 2, 'connecting.starting --xstate.done.actor.connectKafka--> assigned');
    }
    expect(firstEdges.slice(0, 4)).to.deep.equal([
      'idle --kafka.connect--> connecting',
      'connecting.starting --xstate.done.actor.connectKafka--> assigned',
      'assigned --kafka.rebalance.started--> rebalancing',
      'rebalancing --kafka.group.joined--> assigned',
    ]);
    // kafkajs 2.2.4 may fail the first connect attempt after a close() on a connection its disconnect()
    // ended (see the subscribe workaround in kafkajs-driver.ts, which catches the usual case); the machine's
    // backoff retries it. At most one such retry is allowed, and it is taken out before the comparison.
    const retry = [
      'connecting.starting --xstate.error.actor.connectKafka--> reconnecting',
      'reconnecting.backoff --xstate.after.reconnectBackoff.connection.reconnecting.backoff--> connecting',
    ];
    const reconnectAt = firstEdges.lastIndexOf('stopped --kafka.connect--> connecting');
    if (firstEdges[reconnectAt + 1] === retry[0] && firstEdges[reconnectAt + 2] === retry[1]) {
      firstEdges.splice(reconnectAt + 1, 2);
    }
    expect(firstEdges.slice(-8)).to.deep.equal([
      'assigned --kafka.drain--> draining',
      'draining --xstate.done.actor.drainKafka--> stopped',
      'stopped --kafka.drain--> stopped',
      'stopped --kafka.connect--> connecting',
      'connecting.starting --xstate.done.actor.connectKafka--> assigned',
      'assigned --kafka.drain--> draining',
      'draining.finishing --always--> draining.abandoning',
      'draining --xstate.done.actor.drainKafka--> stopped',
    ]);
  });

  it('drains from rebalancing, from connecting, and from idle without connecting', async () => {
    const brokers = [...privateKafka().brokers];
    const topic = uniqueName('chart-drain');
    await createTopicsOn(brokers, [{ topic, numPartitions: 2 }]);
    const groupId = uniqueName('chart-drain');

    const member = createConnection({ groupId, topic });
    const memberEdges = watch(member);
    await member.connect();
    let closing: Promise<unknown> | undefined;
    const onRebalance = member.transitions$.subscribe((transition) => {
      if (transition.to === 'rebalancing') closing ??= member.close('drain');
    });
    const newcomer = createConnection({ groupId, topic });
    await newcomer.connect();
    await eventually(() => closing !== undefined, 'the first member to start rebalancing');
    await closing;
    onRebalance.unsubscribe();
    expect(memberEdges).to.include('rebalancing --kafka.drain--> draining');

    const early = createConnection({ groupId: uniqueName('chart-early'), topic });
    const earlyEdges = watch(early);
    const connecting = early.connect().catch((error: unknown) => error);
    await early.close('drain');
    expect(await connecting).to.be.instanceOf(Error);
    expect(earlyEdges).to.deep.equal([
      'idle --kafka.connect--> connecting',
      'connecting --kafka.drain--> draining',
      'draining --xstate.done.actor.drainKafka--> stopped',
    ]);
    // The connect attempt the close cut short started no consumer behind the machine's back.
    expect(early.consumer && (await isGroupEmpty(early, brokers))).to.equal(true);

    const unused = createConnection({ groupId: uniqueName('chart-unused'), topic });
    const unusedEdges = watch(unused);
    await unused.close('drain');
    expect(unusedEdges).to.deep.equal(['idle --kafka.drain--> stopped']);
  });

  it('retries a broker that is not there, fails, is asked again, and drains from failed and from reconnecting', async () => {
    const nobody = [`127.0.0.1:${await findFreePort()}`];
    const giving = createConnection({ brokers: nobody, maxConnectAttempts: 2 });
    const givingEdges = watch(giving);
    expect(await giving.connect().catch((error: unknown) => error)).to.be.instanceOf(Error);
    expect(await giving.connect().catch((error: unknown) => error)).to.be.instanceOf(Error);
    await giving.close('drain');
    expect(givingEdges).to.deep.equal([
      'idle --kafka.connect--> connecting',
      'connecting.starting --xstate.error.actor.connectKafka--> reconnecting',
      'reconnecting.backoff --xstate.after.reconnectBackoff.connection.reconnecting.backoff--> connecting',
      'connecting.starting --xstate.error.actor.connectKafka--> failed',
      'failed --kafka.connect--> connecting',
      'connecting.starting --xstate.error.actor.connectKafka--> reconnecting',
      'reconnecting.backoff --xstate.after.reconnectBackoff.connection.reconnecting.backoff--> connecting',
      'connecting.starting --xstate.error.actor.connectKafka--> failed',
      'failed --kafka.drain--> draining',
      'draining --xstate.done.actor.drainKafka--> stopped',
    ]);

    const patient = createConnection({ brokers: nobody, maxConnectAttempts: Infinity });
    const patientEdges = watch(patient);
    const connecting = patient.connect().catch((error: unknown) => error);
    await eventually(() => patient.state === 'reconnecting', 'a first failed attempt');
    await patient.close('drain');
    expect(await connecting).to.be.instanceOf(Error);
    expect(patientEdges.slice(-2)).to.deep.equal([
      'reconnecting --kafka.drain--> draining',
      'draining --xstate.done.actor.drainKafka--> stopped',
    ]);

    // Unlimited attempts, but a connect timeout: the connect() fails while it waits for its next attempt.
    const bounded = createConnection({
      brokers: nobody,
      maxConnectAttempts: Infinity,
      connectTimeoutMs: 1_200,
    });
    const boundedEdges = watch(bounded);
    const startedAt = Date.now();
    const error = await bounded.connect().catch((rejected: unknown) => rejected);
    expect(error).to.have.property('code', 'RXK_BROKER_UNREACHABLE');
    expect(Date.now() - startedAt).to.be.below(15_000);
    expect(boundedEdges.slice(-1)).to.deep.equal(['reconnecting.backoff --kafka.connect.timeout--> failed']);
  });

  it('abandons at the drain deadline, and on a second close() that abandons', async () => {
    const brokers = [...privateKafka().brokers];
    const reports: boolean[] = [];
    for (const secondClose of [false, true]) {
      const topic = uniqueName('chart-hung');
      await createTopicsOn(brokers, [{ topic, numPartitions: 1 }]);
      const started: string[] = [];
      const controller = createHangingController(topic, started);
      const container = new Container();
      container.bind(controller).toSelf();
      const server = new KafkaServer(container, {
        controllers: [controller],
        client: { brokers, clientId: topic },
        consumer: { groupId: uniqueName('chart-hung') },
        subscribe: { fromBeginning: true },
        logger: silentLogger,
      });
      servers.push(server);
      await server.listen();
      const edges = watch(server.connection);
      await produceTo(brokers, topic, ['stuck']);
      await eventually(() => started.length === 1, 'the handler to start');
      if (secondClose) {
        const draining = server.close({ timeoutMs: 0 });
        const abandoning = server.close({ mode: 'abandon' });
        const [first] = await Promise.all([draining, abandoning]);
        reports.push(first.timedOut);
        expect(edges).to.include('draining.finishing --kafka.drain--> draining.abandoning');
      } else {
        const report = await server.close({ timeoutMs: 300 });
        reports.push(report.timedOut);
        expect(report.recordsAbandoned).to.equal(1);
        expect(edges).to.include(
          'draining.finishing --xstate.after.drainDeadline.connection.draining.finishing--> draining.abandoning',
        );
      }
    }
    expect(reports).to.deep.equal([true, false]);
  });

  it('follows a broker loss: a crash kafkajs restarts, one it does not, and a producer-only connection', async () => {
    const kafka = privateKafka();
    const brokers = [...kafka.brokers];
    const topic = uniqueName('chart-loss');
    await createTopicsOn(brokers, [{ topic, numPartitions: 1 }]);

    const restarting = createConnection({ groupId: uniqueName('chart-restart'), topic });
    const restartingEdges = watch(restarting);
    const giving = createConnection({
      groupId: uniqueName('chart-giveup'),
      topic,
      consumerRetry: { restartOnFailure: async () => false },
    });
    const givingEdges = watch(giving);
    const producing = createConnection({ maxConnectAttempts: Infinity });
    const producingEdges = watch(producing);
    await Promise.all([restarting.connect(), giving.connect(), producing.connect()]);

    await kafka.stopNode(1, 'SIGTERM');
    try {
      const sent = await producing.produceQueue
        .send(topic, [{ value: 'while the broker is away' }])
        .then(() => 'sent')
        .catch(() => 'failed');
      expect(sent).to.equal('failed');
      await eventually(
        () =>
          restarting.actor.getSnapshot().matches({ reconnecting: 'restarting' }) &&
          giving.state === 'failed' &&
          producingEdges.includes('connected --kafka.producer.lost--> reconnecting'),
        'both consumers to crash and the producer to notice',
        90_000,
        () => `${restarting.state}, ${giving.state}, ${producing.state}`,
      );
    } finally {
      await kafka.startNode(1);
    }
    await eventually(
      () => restarting.state === 'assigned' && producing.state === 'connected',
      'the restarted consumer to join and the producer to connect again',
      120_000,
      () => `${restarting.state}, ${producing.state}`,
    );
    await producing.produceQueue.send(topic, [{ value: 'after the broker is back' }]);
    await producing.close('drain');

    expectInOrder(restartingEdges, [
      'assigned --kafka.crashed--> reconnecting.restarting',
      'reconnecting --kafka.group.joined--> assigned',
    ]);
    expect(givingEdges.slice(-1)).to.deep.equal(['assigned --kafka.crashed--> failed']);
    expectInOrder(producingEdges, [
      'connecting.starting --xstate.done.actor.connectKafka--> connected',
      'connected --kafka.producer.lost--> reconnecting',
      'reconnecting.backoff --xstate.after.reconnectBackoff.connection.reconnecting.backoff--> connecting',
      'connecting.starting --xstate.done.actor.connectKafka--> connected',
      'connected --kafka.drain--> draining',
    ]);
  });

  it('fails a first connect whose join the broker refuses (a session timeout below its minimum)', async () => {
    const brokers = [...privateKafka().brokers];
    const topic = uniqueName('chart-refused');
    await createTopicsOn(brokers, [{ topic, numPartitions: 1 }]);
    const refused = createConnection({ groupId: uniqueName('chart-refused'), topic, sessionTimeout: 1_000 });
    const edges = watch(refused);
    const error = await refused.connect().catch((rejected: unknown) => rejected);
    expect(error).to.be.instanceOf(Error);
    expect(edges).to.deep.equal([
      'idle --kafka.connect--> connecting',
      'connecting --kafka.crashed--> failed',
    ]);
    expect(refused.actor.getSnapshot().context.lastError?.message).to.match(/session timeout/i);
  });

  it('took every edge of the chart, except the few listed with their reasons, and none outside it', () => {
    const chart = listChartEdges(connectionMachine).map(edgeKey);
    const seen = [...taken.keys()];
    process.stdout.write(
      `      [chart] ${chart.length} edges; taken here ${chart.filter((edge) => taken.has(edge)).length}: ` +
        `${seen.map((edge) => `${edge} ×${taken.get(edge)}`).join('; ')}\n`,
    );
    expect(
      seen.filter((edge) => !chart.includes(edge)),
      'edges outside the chart',
    ).to.deep.equal([]);
    const missing = chart.filter((edge) => !taken.has(edge) && !TIMING_DEPENDENT.has(edge));
    expect(missing, 'chart edges no connection took').to.have.members(
      Object.keys(NOT_TAKEN_HERE).filter((edge) => !taken.has(edge)),
    );
    expect(
      Object.keys(NOT_TAKEN_HERE).filter((edge) => !chart.includes(edge)),
      'stale exemptions',
    ).to.deep.equal([]);
  });
});

/** Writes `values` to `topic` with a plain kafkajs producer. */
async function produceTo(brokers: readonly string[], topic: string, values: string[]): Promise<void> {
  const producer = createRawKafka(brokers).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** True when the connection's group has no member left (nothing consumes behind a stopped machine). */
async function isGroupEmpty(connection: KafkaConnection, brokers: readonly string[]): Promise<boolean> {
  const admin = createRawKafka(brokers).admin();
  await admin.connect();
  try {
    const groupId = (connection.actor.getSnapshot().context.groupId ?? '') as string;
    const [group] = (await admin.describeGroups([groupId])).groups;
    return (group?.members ?? []).length === 0;
  } finally {
    await admin.disconnect();
  }
}

/** Fails unless `expected` appears in `actual` in this order (other edges may come between). */
function expectInOrder(actual: readonly string[], expected: readonly string[]): void {
  let from = 0;
  for (const edge of expected) {
    const at = actual.indexOf(edge, from);
    expect(at, `${edge} after position ${from} in ${JSON.stringify(actual)}`).to.be.at.least(0);
    from = at + 1;
  }
}
