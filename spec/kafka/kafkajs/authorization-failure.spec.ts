import { expect } from 'chai';
import type { Kafka } from 'kafkajs';
import { NotAuthorizedError, RxKafkaError } from '../../../lib/errors';
import {
  findRefusedResource,
  sendWithAuthorization,
  toAuthorizationFailure,
  withAuthorization,
} from '../../../lib/kafka/kafkajs/authorization-failure';
import { AuthorizationRefusals } from '../../../lib/kafka/kafkajs/authorization-refusals';

const protocolError = (type: string, code: number) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, code, retriable: false });

// What kafkajs 2.2.4 throws from a producer's send: its non-retriable wrapper around the protocol error.
const nonRetriable = (cause: Error) =>
  Object.assign(new Error(cause.message), { name: 'KafkaJSNonRetriableError', cause });

const coordinatorNotFound = () =>
  Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound' });

const target = {
  clientId: 'billing',
  sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' },
};

describe('findRefusedResource()', () => {
  for (const [type, code, resource] of [
    ['TOPIC_AUTHORIZATION_FAILED', 29, 'topic'],
    ['GROUP_AUTHORIZATION_FAILED', 30, 'group'],
    ['CLUSTER_AUTHORIZATION_FAILED', 31, 'cluster'],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, 'transactionalId'],
  ] as const) {
    it(`recognises ${type} (${code}), also wrapped`, () => {
      expect(findRefusedResource(protocolError(type, code))).to.equal(resource);
      expect(findRefusedResource(nonRetriable(protocolError(type, code)))).to.equal(resource);
    });
  }

  it('reads a coordinator lookup that failed after a logged group or transactional-id refusal as that refusal', () => {
    expect(findRefusedResource(coordinatorNotFound(), new Set(['group']))).to.equal('group');
    expect(findRefusedResource(coordinatorNotFound(), new Set(['transactionalId']))).to.equal(
      'transactionalId',
    );
    expect(findRefusedResource(coordinatorNotFound())).to.equal(undefined);
  });

  it('leaves other errors, and rxkafka’s own, alone', () => {
    expect(findRefusedResource(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3))).to.equal(undefined);
    expect(findRefusedResource(new RxKafkaError('RXK_SEND_FAILED', 'x'))).to.equal(undefined);
    expect(findRefusedResource(undefined)).to.equal(undefined);
  });
});

describe('toAuthorizationFailure()', () => {
  it('names the topic and the principal, never the password, with kafkajs’s error as the cause', () => {
    const cause = nonRetriable(protocolError('TOPIC_AUTHORIZATION_FAILED', 29));
    const error = toAuthorizationFailure(cause, { topics: ['orders'] }, target)!;
    expect(error).to.be.instanceOf(NotAuthorizedError);
    expect(error).to.include({
      code: 'RXK_NOT_AUTHORIZED',
      retriable: false,
      resourceType: 'topic',
      resourceName: 'orders',
      principal: 'User:svc',
    });
    expect(error.context.topic).to.equal('orders');
    expect(error.message).to.contain("topic 'orders'").and.to.contain('User:svc');
    expect(error.message).not.to.contain('hunter2');
    expect(error.cause).to.equal(cause);
  });

  it('lists the topics when Kafka refused one of several without saying which', () => {
    const error = toAuthorizationFailure(
      protocolError('TOPIC_AUTHORIZATION_FAILED', 29),
      { topics: ['a', 'b'] },
      target,
    )!;
    expect(error.resourceName).to.equal(undefined);
    expect(error.message).to.contain("one of the topics 'a', 'b'");
  });

  it('names the group or the transactional id of the step', () => {
    const scope = { groupId: 'billing-server', transactionalId: 'billing-tx-orders-0' };
    expect(toAuthorizationFailure(protocolError('GROUP_AUTHORIZATION_FAILED', 30), scope, target)).to.include(
      {
        resourceType: 'group',
        resourceName: 'billing-server',
      },
    );
    expect(
      toAuthorizationFailure(
        coordinatorNotFound(),
        { ...scope, swallowed: new Set(['transactionalId']) },
        target,
      ),
    ).to.include({ resourceType: 'transactionalId', resourceName: 'billing-tx-orders-0' });
  });

  it('says so when the client has no SASL user', () => {
    const error = toAuthorizationFailure(
      protocolError('CLUSTER_AUTHORIZATION_FAILED', 31),
      {},
      { clientId: 'c' },
    )!;
    expect(error.principal).to.contain('ANONYMOUS');
    expect(error.resourceType).to.equal('cluster');
  });

  it('returns undefined for anything else', () => {
    expect(toAuthorizationFailure(new Error('boom'), {}, target)).to.equal(undefined);
  });
});

describe('withAuthorization()', () => {
  const unusedKafka = {} as Kafka;

  it('passes a result through, and rethrows other errors as they are', async () => {
    const refusals = new AuthorizationRefusals();
    const context = { target, refusals, kafka: unusedKafka };
    expect(await withAuthorization(async () => 7, {}, context)).to.equal(7);
    const boom = new Error('boom');
    expect(
      await withAuthorization(() => Promise.reject(boom), {}, context).catch((error: unknown) => error),
    ).to.equal(boom);
  });

  it('uses only the refusals logged during its own step', async () => {
    const refusals = new AuthorizationRefusals();
    const logger = refusals.watch({ debug() {}, info() {}, warn() {}, error() {} });
    const refusedLine = () =>
      logger.error('Response GroupCoordinator(key: 10, version: 2)', {
        namespace: 'Connection',
        error: 'Not authorized to access group: Group authorization failed',
      });
    refusedLine();
    const context = { target, refusals, kafka: unusedKafka };
    const before = await withAuthorization(
      () => Promise.reject(coordinatorNotFound()),
      { groupId: 'g' },
      context,
    ).catch((error: unknown) => error);
    expect(RxKafkaError.isRxKafkaError(before)).to.equal(false);
    const during = await withAuthorization(
      async () => {
        refusedLine();
        throw coordinatorNotFound();
      },
      { groupId: 'g' },
      context,
    ).catch((error: unknown) => error);
    expect(during).to.include({ code: 'RXK_NOT_AUTHORIZED', resourceType: 'group', resourceName: 'g' });
  });
});

describe('sendWithAuthorization()', () => {
  const topicRefused = () => nonRetriable(protocolError('TOPIC_AUTHORIZATION_FAILED', 29));

  // An admin that answers metadata lookups one topic at a time, refusing the topics in `refused`.
  const kafkaRefusing = (refused: readonly string[], lookedUp: string[]) =>
    ({
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
          lookedUp.push(...topics);
          if (topics.some((topic) => refused.includes(topic))) throw topicRefused();
          return { topics: [] };
        },
      }),
    }) as unknown as Kafka;

  const contextOf = (kafka: Kafka) => ({ target, refusals: new AuthorizationRefusals(), kafka });

  // Sends that fail with the given errors in turn, then succeed with `result`.
  const sendFailing = (errors: Error[], result = 'written') => {
    const calls = { count: 0 };
    const send = async () => {
      calls.count += 1;
      const error = errors.shift();
      if (error) throw error;
      return result;
    };
    return { send, calls };
  };

  it('names the topic Kafka refuses to this client, without sending again', async () => {
    const lookedUp: string[] = [];
    const { send, calls } = sendFailing([topicRefused()]);
    const error = await sendWithAuthorization(
      send,
      ['orders.reply'],
      contextOf(kafkaRefusing(['orders.reply'], lookedUp)),
    ).catch((rejected: unknown) => rejected);
    expect(error).to.be.instanceOf(NotAuthorizedError);
    expect(error).to.include({
      code: 'RXK_NOT_AUTHORIZED',
      resourceType: 'topic',
      resourceName: 'orders.reply',
    });
    expect(lookedUp).to.deep.equal(['orders.reply']);
    expect(calls.count).to.equal(1);
  });

  it('sends once more when the refusal was not its topic’s (another send’s topic in the same metadata request)', async () => {
    const lookedUp: string[] = [];
    const { send, calls } = sendFailing([topicRefused()]);
    const result = await sendWithAuthorization(
      send,
      ['echo.reply'],
      contextOf(kafkaRefusing(['quiet.reply'], lookedUp)),
    );
    expect(result).to.equal('written');
    expect(lookedUp).to.deep.equal(['echo.reply']);
    expect(calls.count).to.equal(2);
  });

  it('lets a second refusal of a topic Kafka describes stand: only writing to it is refused', async () => {
    const { send, calls } = sendFailing([topicRefused(), topicRefused()]);
    const error = await sendWithAuthorization(send, ['audit'], contextOf(kafkaRefusing([], []))).catch(
      (rejected: unknown) => rejected,
    );
    expect(error).to.include({ code: 'RXK_NOT_AUTHORIZED', resourceType: 'topic', resourceName: 'audit' });
    expect(calls.count).to.equal(2);
  });

  it('never sends records to several topics twice: some of them may be written', async () => {
    const { send, calls } = sendFailing([topicRefused()]);
    const error = await sendWithAuthorization(send, ['a', 'b'], contextOf(kafkaRefusing([], []))).catch(
      (rejected: unknown) => rejected,
    );
    expect(error).to.include({ code: 'RXK_NOT_AUTHORIZED', resourceType: 'topic' });
    expect((error as NotAuthorizedError).resourceName).to.equal(undefined);
    expect(calls.count).to.equal(1);
  });

  it('rethrows other errors as they are, looking nothing up', async () => {
    const lookedUp: string[] = [];
    const boom = new Error('boom');
    const { send, calls } = sendFailing([boom]);
    const error = await sendWithAuthorization(send, ['t'], contextOf(kafkaRefusing([], lookedUp))).catch(
      (rejected: unknown) => rejected,
    );
    expect(error).to.equal(boom);
    expect(lookedUp).to.deep.equal([]);
    expect(calls.count).to.equal(1);
  });
});
