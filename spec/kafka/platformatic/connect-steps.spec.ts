import { expect } from 'chai';
import { NotAuthorizedError } from '../../../lib/errors';
import { ConnectSteps } from '../../../lib/kafka/platformatic/connect-steps';

// A FindCoordinator refusal as @platformatic/kafka 1.35.0 throws it (a ResponseError around a ProtocolError).
function groupRefusal(group: string): Error {
  const refused = Object.assign(new Error('Group authorization failed.'), {
    code: 'PLT_KFK_PROTOCOL',
    apiId: 'GROUP_AUTHORIZATION_FAILED',
    apiCode: 30,
    canRetry: false,
    path: '/coordinators/0',
  });
  return Object.assign(
    new AggregateError([refused], 'Received response with error while executing API FindCoordinator(v6)'),
    {
      code: 'PLT_KFK_RESPONSE',
      response: { coordinators: [{ key: group, nodeId: -1, errorCode: 30 }] },
    },
  );
}

const target = {
  clientId: 'billing',
  brokers: ['localhost:9092'],
  sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' },
};

describe('ConnectSteps (platformatic)', () => {
  it('raises an authorization refusal met at a connect as RXK_NOT_AUTHORIZED', async () => {
    const steps = new ConnectSteps(target, async () => undefined);
    const error = await steps
      .connect(() => Promise.reject(groupRefusal('billing-server')))
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotAuthorizedError);
    expect(error).to.include({ resourceName: 'billing-server', principal: 'User:svc' });
  });

  it('raises a refusal met at a later step as RXK_NOT_AUTHORIZED, and passes anything else through', async () => {
    const steps = new ConnectSteps(target, async () => undefined);
    const error = await steps
      .authorized(() => Promise.reject(groupRefusal('billing-server')), { groupId: 'billing-server' })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotAuthorizedError);
    expect((error as NotAuthorizedError).message).not.to.contain('hunter2');
    const other = new Error('other');
    expect(await steps.authorized(() => Promise.reject(other), {}).catch((e: unknown) => e)).to.equal(other);
    expect(await steps.authorized(() => Promise.resolve('joined'), {})).to.equal('joined');
  });
});
