/**
 * Authorization failures on a real broker: a SASL_SSL broker with Kafka's StandardAuthorizer, where the
 * service user (`security.service`, not a super user) gets ACLs on its topics, groups and transactional ids
 * and is refused one reply topic, one request topic, one group and one transactional id. Each refusal must
 * come back as RXK_NOT_AUTHORIZED naming the resource and the principal, within seconds, without a retry
 * storm, with nothing else stalled and no secret in any log line.
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type KafkaConfig,
} from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  createProducer,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  NotAuthorizedError,
  Payload,
  processExactlyOnce,
  registerControllers,
  RxKafkaError,
  type ExactlyOnceOutput,
} from '../../lib';
import { startLocalKafka, type LocalKafka } from '../../lib/testing';
import { uniqueName } from '../support/kafka-fixtures';
import { RecordingLogger } from '../support/recording-logger';
import { specDriver } from '../support/spec-driver';

/** This run's resources all start with it: ACLs are granted on prefixes. */
const RUN = uniqueName('authz');
const TOPICS = {
  echo: `${RUN}.echo`,
  /** The server may read it; its reply topic is refused. */
  quiet: `${RUN}.quiet`,
  quietReply: `${RUN}.quiet.reply`,
  /** Refused: a client may not send to it (its reply topic is allowed). */
  closed: `${RUN}.closed`,
  eosIn: `${RUN}.eos.in`,
} as const;
/** Refused as a prefix: the server's group is this with `-server` appended (NestJS's postfixId). */
const REFUSED_GROUP = `${RUN}-group-refused`;
const REFUSED_TRANSACTIONAL_ID_PREFIX = `${RUN}-tx-refused`;

/** How soon each refusal must surface: generous, for a shared two-core machine (measured times are printed). */
const WITHIN_MS = 20_000;

@Controller()
class ServiceController {
  readonly quietCalls: string[] = [];

  @MessagePattern(TOPICS.echo)
  echo(@Payload() data: { n: number }): { n: number } {
    return { n: data.n + 1 };
  }

  @MessagePattern(TOPICS.quiet)
  quiet(@Payload() data: { id: string }): string {
    this.quietCalls.push(data.id);
    return 'never delivered';
  }
}

@Controller()
class ClosedTopicController {
  @MessagePattern(TOPICS.closed)
  closed(): string {
    return 'never run';
  }
}

@Controller()
class ExactlyOnceController {
  @EventPattern(TOPICS.eosIn, { exactlyOnce: true })
  forward(@Payload() data: unknown): ExactlyOnceOutput {
    return { topic: TOPICS.echo, value: data };
  }
}

describe('authorization (integration, SASL_SSL with an authorizer)', function () {
  this.timeout(180_000);
  let kafka: LocalKafka;
  let principal: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    kafka = await startLocalKafka({ provider: 'maven', security: 'sasl_ssl', heapMb: 384 });
    principal = `User:${kafka.security!.service.username}`;
    const admin = new Kafka({ ...kafka.clientConfig, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [...Object.values(TOPICS), `${TOPICS.echo}.reply`, `${TOPICS.closed}.reply`].map((topic) => ({
          topic,
        })),
      });
      const acl = (
        resourceType: AclResourceTypes,
        resourceName: string,
        permissionType: AclPermissionTypes,
        resourcePatternType: ResourcePatternTypes,
      ) => ({
        resourceType,
        resourceName,
        resourcePatternType,
        principal,
        host: '*',
        operation: AclOperationTypes.ALL,
        permissionType,
      });
      const { ALLOW, DENY } = AclPermissionTypes;
      const { LITERAL, PREFIXED } = ResourcePatternTypes;
      await admin.createAcls({
        acl: [
          acl(AclResourceTypes.TOPIC, `${RUN}.`, ALLOW, PREFIXED),
          acl(AclResourceTypes.GROUP, `${RUN}-group`, ALLOW, PREFIXED),
          acl(AclResourceTypes.TRANSACTIONAL_ID, `${RUN}-tx`, ALLOW, PREFIXED),
          // DENY wins over the prefixes above.
          acl(AclResourceTypes.TOPIC, TOPICS.quietReply, DENY, LITERAL),
          acl(AclResourceTypes.TOPIC, TOPICS.closed, DENY, LITERAL),
          acl(AclResourceTypes.GROUP, REFUSED_GROUP, DENY, PREFIXED),
          acl(AclResourceTypes.TRANSACTIONAL_ID, REFUSED_TRANSACTIONAL_ID_PREFIX, DENY, PREFIXED),
        ],
      });
    } finally {
      await admin.disconnect();
    }
    await awaitAclsApplied();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  after(async () => {
    await kafka?.stop();
  });

  /**
   * Waits until the broker applies the ACLs (the controller hands them to the broker's authorizer a moment
   * after createAcls() returns): the service user can describe an allowed topic and not a denied one.
   */
  async function awaitAclsApplied(): Promise<void> {
    const admin = new Kafka({ ...serviceClient(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await waitFor(async () => {
        const allowed = await admin.fetchTopicMetadata({ topics: [TOPICS.echo] }).then(
          () => true,
          () => false,
        );
        const denied = await admin.fetchTopicMetadata({ topics: [TOPICS.closed] }).then(
          () => false,
          () => true,
        );
        return allowed && denied ? true : undefined;
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** kafkajs settings of the service user. */
  function serviceClient(): KafkaConfig {
    return {
      ...kafka.clientConfig,
      clientId: uniqueName('service'),
      sasl: { mechanism: 'scram-sha-512', ...kafka.security!.service },
    };
  }

  function expectNoSecretsLogged(logger: RecordingLogger): void {
    const security = kafka.security!;
    const text = JSON.stringify(logger.entries, (_key, value: unknown) =>
      Buffer.isBuffer(value) ? value.toString('latin1') : value,
    );
    for (const secret of [security.service.password, security.user.password]) {
      expect(text).not.to.contain(secret);
    }
  }

  /** Asserts a NotAuthorizedError naming `resourceName` and the service principal, never a password. */
  function expectRefusal(error: unknown, resourceType: string, resourceName: string): NotAuthorizedError {
    expect(RxKafkaError.isRxKafkaError(error), String(error)).to.equal(true);
    const refusal = error as NotAuthorizedError;
    expect(refusal.code).to.equal('RXK_NOT_AUTHORIZED');
    expect(refusal.retriable).to.equal(false);
    expect(refusal).to.include({ resourceType, principal });
    expect(refusal.resourceName).to.contain(resourceName);
    expect(refusal.message).to.contain(resourceName).and.to.contain(principal);
    expect(refusal.message).not.to.contain(kafka.security!.service.password);
    return refusal;
  }

  /** Lines at warn or error, which a retry loop would multiply. */
  function loudLines(logger: RecordingLogger): number {
    return logger.entries.filter((entry) => entry.level === 'warn' || entry.level === 'error').length;
  }

  function report(what: string, ms: number, lines: number): void {
    process.stdout.write(
      `      [authorization] ${what}: ${ms} ms to the error, ${lines} warn/error log lines\n`,
    );
  }

  async function startServer(
    groupId: string,
    logger: RecordingLogger,
    controller: new () => object = ServiceController,
  ): Promise<KafkaServer> {
    const container = new Container();
    registerControllers(container, [controller]);
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: serviceClient(),
      consumer: { groupId },
      subscribe: { fromBeginning: true },
      logger,
    });
    cleanups.push(() => server.close());
    return server;
  }

  async function connectClient(logger: RecordingLogger, patterns: string[]): Promise<KafkaClient> {
    const client = new KafkaClient({
      ...specDriver(),
      client: serviceClient(),
      consumer: { groupId: uniqueName(`${RUN}-group-client`) },
      requestTimeoutMs: 30_000,
      logger,
    });
    cleanups.push(() => client.close());
    for (const pattern of patterns) client.subscribeToResponseOf(pattern);
    await client.connect();
    return client;
  }

  it('fails listen() on a refused group at once, with RXK_NOT_AUTHORIZED naming the group and the user', async () => {
    const logger = new RecordingLogger();
    const server = await startServer(REFUSED_GROUP, logger);
    const started = Date.now();
    const error = await server.listen().then(
      () => new Error('listen() resolved with a refused group'),
      (rejected: unknown) => rejected,
    );
    const elapsedMs = Date.now() - started;
    report('listen() on a refused group', elapsedMs, loudLines(logger));
    expectRefusal(error, 'group', `${REFUSED_GROUP}-server`);
    expect(elapsedMs).to.be.below(WITHIN_MS);
    expect(server.connection.actor.getSnapshot().context.connectAttempts).to.equal(1);
    expect(server.connection.state).to.equal('failed');
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it("fails a client's connect() on a refused reply group at once, with RXK_NOT_AUTHORIZED naming the group and the user", async () => {
    const logger = new RecordingLogger();
    const client = new KafkaClient({
      ...specDriver(),
      client: serviceClient(),
      consumer: { groupId: uniqueName(REFUSED_GROUP) },
      logger,
    });
    cleanups.push(() => client.close());
    client.subscribeToResponseOf(TOPICS.echo);
    const started = Date.now();
    const error = await client.connect().then(
      () => new Error('connect() resolved with a refused reply group'),
      (rejected: unknown) => rejected,
    );
    const elapsedMs = Date.now() - started;
    report('connect() of a client on a refused group', elapsedMs, loudLines(logger));
    expectRefusal(error, 'group', REFUSED_GROUP);
    expect((error as NotAuthorizedError).resourceName).to.match(/-client$/);
    expect(elapsedMs).to.be.below(WITHIN_MS);
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it('fails listen() on a refused topic at once, with RXK_NOT_AUTHORIZED naming the topic and the user', async () => {
    const logger = new RecordingLogger();
    const server = await startServer(uniqueName(`${RUN}-group-server`), logger, ClosedTopicController);
    const started = Date.now();
    const error = await server.listen().then(
      () => new Error('listen() resolved with a refused topic'),
      (rejected: unknown) => rejected,
    );
    const elapsedMs = Date.now() - started;
    report('listen() on a refused topic', elapsedMs, loudLines(logger));
    expectRefusal(error, 'topic', TOPICS.closed);
    expect(elapsedMs).to.be.below(WITHIN_MS);
    expect(server.connection.actor.getSnapshot().context.connectAttempts).to.equal(1);
    expect(server.connection.state).to.equal('failed');
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it("fails a client's send to a refused request topic, and its other requests still get answers", async () => {
    const logger = new RecordingLogger();
    const server = await startServer(uniqueName(`${RUN}-group-server`), logger);
    await server.listen();
    const client = await connectClient(logger, [TOPICS.closed, TOPICS.echo]);

    const started = Date.now();
    const error = await firstValueFrom(client.send(TOPICS.closed, { n: 1 })).then(
      () => new Error('send() to a refused topic got a reply'),
      (rejected: unknown) => rejected,
    );
    const elapsedMs = Date.now() - started;
    report('send() to a refused request topic', elapsedMs, loudLines(logger));
    const refusal = expectRefusal(error, 'topic', TOPICS.closed);
    expect(refusal.context.topic).to.equal(TOPICS.closed);
    expect(elapsedMs).to.be.below(WITHIN_MS);

    expect(await firstValueFrom(client.send(TOPICS.echo, { n: 41 }))).to.deep.equal({ n: 42 });
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it('gives up a reply to a refused reply topic with RXK_NOT_AUTHORIZED logged, and keeps serving', async () => {
    const logger = new RecordingLogger();
    const container = new Container();
    registerControllers(container, [ServiceController]);
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: serviceClient(),
      consumer: { groupId: uniqueName(`${RUN}-group-server`) },
      subscribe: { fromBeginning: true },
      logger,
    });
    cleanups.push(() => server.close());
    await server.listen();
    const controller = container.get(ServiceController);

    // A request as a NestJS client writes it, from the super user, asking for a reply the server may not write.
    const producer = new Kafka({ ...kafka.clientConfig, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const started = Date.now();
    await producer.send({
      topic: TOPICS.quiet,
      messages: [
        {
          value: JSON.stringify({ id: 'q-1' }),
          headers: {
            kafka_correlationId: 'q-1',
            kafka_replyTopic: TOPICS.quietReply,
            kafka_replyPartition: '0',
          },
        },
      ],
    });
    const givenUp = await waitFor(() =>
      logger.entries.find(
        (entry) =>
          entry.level === 'error' &&
          RxKafkaError.isRxKafkaError(entry.fields.error) &&
          entry.fields.error.code === 'RXK_NOT_AUTHORIZED',
      ),
    );
    const elapsedMs = Date.now() - started;
    report('a reply to a refused reply topic', elapsedMs, loudLines(logger));
    expect(givenUp.message).to.contain(TOPICS.quietReply);
    expectRefusal(givenUp.fields.error, 'topic', TOPICS.quietReply);
    expect(elapsedMs).to.be.below(WITHIN_MS);

    // Nothing else stalled: the same server answers the next request, and the refused one is not run again.
    const client = await connectClient(logger, [TOPICS.echo]);
    expect(await firstValueFrom(client.send(TOPICS.echo, { n: 1 }))).to.deep.equal({ n: 2 });
    expect(controller.quietCalls).to.deep.equal(['q-1']);
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it('refuses only the refused topic when one producer writes to it and to an allowed topic at once', async () => {
    // kafkajs asks the metadata of all of a producer's topics in one request, and Kafka's refusal of one
    // does not say which: the allowed topic's send must not be refused with it.
    const allowedTopic = `${TOPICS.echo}.reply`;
    for (let round = 0; round < 5; round += 1) {
      const logger = new RecordingLogger();
      // metadataMaxAge 0: every send refreshes the metadata of all the producer's topics, so the allowed
      // topic's refresh meets the refused topic's while it is being added (the race a busy server meets).
      const producer = createProducer({
        ...specDriver(),
        client: serviceClient(),
        producer: { metadataMaxAge: 0 },
        logger,
      });
      cleanups.push(() => producer.close());
      await producer.connect();
      const [allowed, refused] = await Promise.allSettled([
        producer.send(allowedTopic, [{ value: `allowed-${round}` }]),
        producer.send(TOPICS.quietReply, [{ value: `refused-${round}` }]),
      ]);
      expect(
        allowed.status,
        `round ${round}: ${allowed.status === 'rejected' ? String(allowed.reason) : ''}`,
      ).to.equal('fulfilled');
      expect(refused.status).to.equal('rejected');
      const reason = (refused as PromiseRejectedResult).reason as Error & { cause?: unknown };
      const refusal =
        RxKafkaError.isRxKafkaError(reason) && reason.code === 'RXK_NOT_AUTHORIZED' ? reason : reason.cause;
      expectRefusal(refusal, 'topic', TOPICS.quietReply);
      expectNoSecretsLogged(logger);
      await producer.close();
    }
  });

  it('fails an exactly-once processor whose transactional ids are refused at start()', async () => {
    const logger = new RecordingLogger();
    const processor = processExactlyOnce({
      ...specDriver(),
      client: serviceClient(),
      groupId: uniqueName(`${RUN}-group-eos`),
      topics: [TOPICS.eosIn],
      transactionalIdPrefix: REFUSED_TRANSACTIONAL_ID_PREFIX,
      transform: () => [],
      logger,
    });
    cleanups.push(() => processor.close());
    const started = Date.now();
    const error = await processor.start().then(
      () => new Error('start() resolved with refused transactional ids'),
      (rejected: unknown) => rejected,
    );
    const elapsedMs = Date.now() - started;
    report('processExactlyOnce().start() with refused transactional ids', elapsedMs, loudLines(logger));
    expectRefusal(error, 'transactionalId', REFUSED_TRANSACTIONAL_ID_PREFIX);
    expect(elapsedMs).to.be.below(WITHIN_MS);
    expect(processor.connection.state).to.not.equal('assigned');
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it("fails listen() of a server whose exactly-once handlers' transactional ids are refused, before they join", async () => {
    const logger = new RecordingLogger();
    const container = new Container();
    registerControllers(container, [ExactlyOnceController]);
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: serviceClient(),
      consumer: { groupId: uniqueName(`${RUN}-group-server`) },
      exactlyOnce: { transactionalIdPrefix: REFUSED_TRANSACTIONAL_ID_PREFIX },
      logger,
    });
    cleanups.push(() => server.close());
    const started = Date.now();
    const error = await server.listen().then(
      () => new Error('listen() resolved with refused transactional ids'),
      (rejected: unknown) => rejected,
    );
    const elapsedMs = Date.now() - started;
    report('listen() with refused exactly-once transactional ids', elapsedMs, loudLines(logger));
    expectRefusal(error, 'transactionalId', REFUSED_TRANSACTIONAL_ID_PREFIX);
    expect(elapsedMs).to.be.below(WITHIN_MS);
    const [, exactlyOnceMember] = server.connections;
    expect(exactlyOnceMember.state).to.not.equal('assigned');
    expect(loudLines(logger)).to.be.at.most(6);
    expectNoSecretsLogged(logger);
  });

  it('starts an exactly-once processor whose transactional ids are allowed (the check refuses nothing else)', async () => {
    const logger = new RecordingLogger();
    const processor = processExactlyOnce({
      ...specDriver(),
      client: serviceClient(),
      groupId: uniqueName(`${RUN}-group-eos`),
      topics: [TOPICS.eosIn],
      transactionalIdPrefix: uniqueName(`${RUN}-tx-ok`),
      transform: () => [],
      logger,
    });
    cleanups.push(() => processor.close());
    await processor.start();
    expect(processor.connection.state).to.equal('assigned');
    expectNoSecretsLogged(logger);
  });
});

/** Polls `find` every 50 ms until it returns something; fails after WITHIN_MS. */
async function waitFor<T>(find: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WITHIN_MS;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`nothing found within ${WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
