import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { resolveClientOptions } from '../../lib/options/client-options';
import { checkGroupProtocol } from '../../lib/options/group-protocol';
import { resolveServerOptions } from '../../lib/options/server-options';
import { resolveConsumeOptions } from '../../lib/streams/consume-options';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

function errorOf(run: () => unknown): RxKafkaError {
  try {
    run();
  } catch (error) {
    if (RxKafkaError.isRxKafkaError(error)) return error;
    throw error;
  }
  throw new Error('expected RXK_INVALID_OPTIONS, got no error');
}

describe('checkGroupProtocol()', () => {
  it("takes 'classic' and nothing on any driver, and 'consumer' on a driver other than kafkajs", () => {
    for (const driver of [undefined, 'kafkajs', 'platformatic', new FakeKafkaDriver()]) {
      expect(() => checkGroupProtocol('groupProtocol', undefined, driver)).to.not.throw();
      expect(() => checkGroupProtocol('groupProtocol', 'classic', driver)).to.not.throw();
    }
    expect(() => checkGroupProtocol('groupProtocol', 'consumer', 'platformatic')).to.not.throw();
    expect(() => checkGroupProtocol('groupProtocol', 'consumer', new FakeKafkaDriver())).to.not.throw();
  });

  it("refuses 'consumer' with kafkajs, naming the option and kafkajs's eager rebalances", () => {
    for (const driver of [undefined, 'kafkajs']) {
      const error = errorOf(() => checkGroupProtocol('groupProtocol', 'consumer', driver));
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal('groupProtocol');
      expect(error.message).to.include('kafkajs has only eager (classic) rebalances');
      expect(error.message).to.include("driver: 'platformatic'");
    }
  });

  it('refuses any other value, with the value received', () => {
    const error = errorOf(() => checkGroupProtocol('groupProtocol', 'cooperative', 'platformatic'));
    expect(error.message).to.include("must be 'classic' or 'consumer', got \"cooperative\"");
  });
});

describe('the groupProtocol option on the front ends', () => {
  const driver = new FakeKafkaDriver();

  it('is resolved as given on the server and consume(), and absent when not given', () => {
    expect(resolveServerOptions({ driver, groupProtocol: 'consumer' }).groupProtocol).to.equal('consumer');
    expect(resolveServerOptions({}).groupProtocol).to.equal(undefined);
    expect(
      resolveConsumeOptions({ groupId: 'g', topics: ['t'], driver, groupProtocol: 'consumer' }).groupProtocol,
    ).to.equal('consumer');
  });

  it("is refused as 'consumer' with kafkajs by the server and consume()", () => {
    expect(errorOf(() => resolveServerOptions({ groupProtocol: 'consumer' })).context.path).to.equal(
      'groupProtocol',
    );
    expect(
      errorOf(() => resolveConsumeOptions({ groupId: 'g', topics: ['t'], groupProtocol: 'consumer' })).context
        .path,
    ).to.equal('groupProtocol');
  });

  it("is refused as 'consumer' by the client, whose reply consumer assigns its own partitions", () => {
    const error = errorOf(() => resolveClientOptions({ driver, groupProtocol: 'consumer' }));
    expect(error.context.path).to.equal('groupProtocol');
    expect(error.message).to.include('reply');
    expect(resolveClientOptions({ driver, groupProtocol: 'classic' }).groupProtocol).to.equal('classic');
  });
});
