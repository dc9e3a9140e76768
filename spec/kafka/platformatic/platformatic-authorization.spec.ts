import { expect } from 'chai';
import { NotAuthorizedError, RxKafkaError } from '../../../lib/errors';
import {
  findPlatformaticRefusal,
  refuseUndescribableTopics,
  toPlatformaticAuthorizationFailure,
  withPlatformaticAuthorization,
} from '../../../lib/kafka/platformatic/platformatic-authorization';

// The shapes @platformatic/kafka 1.35.0 throws (seen on a broker with StandardAuthorizer): a ResponseError
// (an AggregateError) whose `response` is the broker's answer, around one ProtocolError per refused entry,
// the ProtocolError's `path` pointing into that answer.
function protocolError(apiId: string, apiCode: number, path: string): Error {
  return Object.assign(new Error(`${apiId} (as @platformatic/kafka words it)`), {
    code: 'PLT_KFK_PROTOCOL',
    apiId,
    apiCode,
    canRetry: false,
    path,
  });
}

function responseError(api: string, response: unknown, errors: Error[]): Error {
  return Object.assign(
    new AggregateError(errors, `Received response with error while executing API ${api}`),
    {
      code: 'PLT_KFK_RESPONSE',
      response,
    },
  );
}

const metadataRefusal = (topics: Array<{ name: string; errorCode: number }>) =>
  responseError(
    'Metadata(v12)',
    { topics: topics.map((topic) => ({ ...topic, partitions: [] })) },
    topics.flatMap((topic, index) =>
      topic.errorCode === 29 ? [protocolError('TOPIC_AUTHORIZATION_FAILED', 29, `/topics/${index}`)] : [],
    ),
  );

const coordinatorRefusal = (group: string) =>
  responseError(
    'FindCoordinator(v6)',
    { coordinators: [{ key: group, nodeId: -1, errorCode: 30, errorMessage: '' }] },
    [protocolError('GROUP_AUTHORIZATION_FAILED', 30, '/coordinators/0')],
  );

const target = {
  clientId: 'billing',
  sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' },
};

describe('findPlatformaticRefusal()', () => {
  for (const [apiId, apiCode, resourceType] of [
    ['TOPIC_AUTHORIZATION_FAILED', 29, 'topic'],
    ['GROUP_AUTHORIZATION_FAILED', 30, 'group'],
    ['CLUSTER_AUTHORIZATION_FAILED', 31, 'cluster'],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, 'transactionalId'],
  ] as const) {
    it(`recognises ${apiId} (${apiCode}) nested in a ResponseError, and in a MultipleErrors around it`, () => {
      const refused = responseError('Api', {}, [protocolError(apiId, apiCode, '/x/0')]);
      expect(findPlatformaticRefusal(refused)).to.deep.equal({ resourceType, names: [] });
      const retried = new AggregateError([new Error('network'), refused], 'failed 2 times.');
      expect(findPlatformaticRefusal(retried)?.resourceType).to.equal(resourceType);
      expect(findPlatformaticRefusal(new Error('wrapped', { cause: refused }))?.resourceType).to.equal(
        resourceType,
      );
    });
  }

  it("names the topics the broker's metadata answer refused, and not the ones it allowed", () => {
    const error = metadataRefusal([
      { name: 'orders', errorCode: 0 },
      { name: 'payments', errorCode: 29 },
      { name: 'audit', errorCode: 29 },
    ]);
    expect(findPlatformaticRefusal(error)).to.deep.equal({
      resourceType: 'topic',
      names: ['payments', 'audit'],
    });
  });

  it("names the group of a coordinator lookup's refusal", () => {
    expect(findPlatformaticRefusal(coordinatorRefusal('billing-server'))).to.deep.equal({
      resourceType: 'group',
      names: ['billing-server'],
    });
  });

  it('finds nothing in other failures, nor in an error rxkafka already mapped', () => {
    expect(findPlatformaticRefusal(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, '/topics/0'))).to.equal(
      undefined,
    );
    expect(findPlatformaticRefusal(new Error('Connection closed'))).to.equal(undefined);
    expect(findPlatformaticRefusal('not an error')).to.equal(undefined);
    const mapped = new RxKafkaError('RXK_SEND_FAILED', 'x', { cause: coordinatorRefusal('g') });
    expect(findPlatformaticRefusal(mapped)).to.equal(undefined);
  });
});

describe('toPlatformaticAuthorizationFailure()', () => {
  it("raises RXK_NOT_AUTHORIZED naming the refused topic from the broker's answer and the SASL user", () => {
    const error = metadataRefusal([
      { name: 'orders', errorCode: 0 },
      { name: 'payments', errorCode: 29 },
    ]);
    const failure = toPlatformaticAuthorizationFailure(error, { topics: ['orders', 'payments'] }, target);
    expect(failure).to.be.instanceOf(NotAuthorizedError);
    expect(failure).to.include({
      code: 'RXK_NOT_AUTHORIZED',
      retriable: false,
      resourceType: 'topic',
      resourceName: 'payments',
      principal: 'User:svc',
    });
    expect(failure!.context.topic).to.equal('payments');
    expect(failure!.message)
      .to.contain("topic 'payments'")
      .and.to.contain('User:svc')
      .and.to.contain('TOPIC_AUTHORIZATION_FAILED')
      .and.not.to.contain('hunter2');
    expect(failure!.cause).to.equal(error);
  });

  it("names the group the coordinator lookup was refused, over the step's own", () => {
    const failure = toPlatformaticAuthorizationFailure(
      coordinatorRefusal('billing-server'),
      { groupId: 'g' },
      target,
    );
    expect(failure).to.include({
      resourceType: 'group',
      resourceName: 'billing-server',
      principal: 'User:svc',
    });
    expect(failure!.message)
      .to.contain("consumer group 'billing-server'")
      .and.to.contain('GROUP_AUTHORIZATION_FAILED');
  });

  it("falls back on the step's resources when the answer names none", () => {
    const refused = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, '/responses/0/partitionResponses/0');
    expect(toPlatformaticAuthorizationFailure(refused, { topics: ['audit'] }, target)).to.include({
      resourceName: 'audit',
    });
    const several = toPlatformaticAuthorizationFailure(refused, { topics: ['a', 'b'] }, target);
    expect(several?.resourceName).to.equal(undefined);
    expect(several?.message).to.contain("one of the topics 'a', 'b'");
  });

  it('names the principal of a client without SASL as Kafka does', () => {
    const failure = toPlatformaticAuthorizationFailure(coordinatorRefusal('g'), {}, { clientId: 'c' });
    expect(failure?.principal).to.contain('User:ANONYMOUS');
  });

  it('leaves any other failure alone', () => {
    expect(toPlatformaticAuthorizationFailure(new Error('Connection closed'), {}, target)).to.equal(
      undefined,
    );
  });
});

describe('withPlatformaticAuthorization()', () => {
  it('rethrows a refusal as RXK_NOT_AUTHORIZED and anything else as it is', async () => {
    const refused = await withPlatformaticAuthorization(
      () => Promise.reject(coordinatorRefusal('billing')),
      {},
      target,
    ).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(NotAuthorizedError);
    const other = new Error('other');
    expect(
      await withPlatformaticAuthorization(() => Promise.reject(other), {}, target).catch((e: unknown) => e),
    ).to.equal(other);
    expect(await withPlatformaticAuthorization(() => Promise.resolve(7), {}, target)).to.equal(7);
  });
});

describe('refuseUndescribableTopics()', () => {
  it('asks one topic at a time and names every refused one', async () => {
    const asked: string[] = [];
    const describe = (topic: string) => {
      asked.push(topic);
      if (topic === 'missing') return Promise.reject(new Error('Unknown topic missing.'));
      return Promise.reject(metadataRefusal([{ name: topic, errorCode: 29 }]));
    };
    const error = await refuseUndescribableTopics(['closed', 'missing', 'secret'], describe, target).catch(
      (rejected: unknown) => rejected,
    );
    expect(asked).to.deep.equal(['closed', 'missing', 'secret']);
    expect(error).to.be.instanceOf(NotAuthorizedError);
    expect((error as NotAuthorizedError).message).to.contain("one of the topics 'closed', 'secret'");
  });

  it('returns when no topic is refused (they are missing)', async () => {
    await refuseUndescribableTopics(
      ['missing'],
      () => Promise.reject(new Error('Unknown topic missing.')),
      target,
    );
  });
});
