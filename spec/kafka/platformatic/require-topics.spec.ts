import { expect } from 'chai';
import type { RxKafkaError } from '../../../lib/errors';
import { ConnectSteps } from '../../../lib/kafka/platformatic/connect-steps';
import type { PlatformaticKafka } from '../../../lib/kafka/platformatic/platformatic-library';
import { requireTopics, type TopicCheckSetup } from '../../../lib/kafka/platformatic/require-topics';

/** A setup whose cluster has the topics `listed`. */
function setupListing(listed: string[], autocreateTopics?: boolean): TopicCheckSetup & { listed: number } {
  const setup = {
    listed: 0,
    library: { protocolErrors: {} } as unknown as PlatformaticKafka,
    base: { clientId: 'spec', bootstrapBrokers: ['localhost:9092'] },
    options: { autocreateTopics },
    steps: new ConnectSteps({ clientId: 'spec', brokers: ['localhost:9092'] }, async () => undefined),
    listTopics: async () => {
      setup.listed += 1;
      return listed;
    },
  };
  return setup;
}

/** A client that records the topics whose metadata it was asked. */
function describer(): { described: string[]; metadata(options: { topics: string[] }): Promise<unknown> } {
  const described: string[] = [];
  return {
    described,
    metadata: async ({ topics }) => described.push(...topics),
  };
}

describe('requireTopics()', () => {
  it('resolves when the cluster has every topic, asking no topic’s metadata', async () => {
    const native = describer();
    await requireTopics(setupListing(['a', 'b']), () => native, ['a', 'b']);
    expect(native.described).to.deep.equal([]);
  });

  it('asks nothing when the client may create the topics', async () => {
    const setup = setupListing([], true);
    await requireTopics(setup, () => undefined, ['a']);
    expect(setup.listed).to.equal(0);
  });

  it('fails with RXK_TOPIC_NOT_FOUND naming the missing topics, after describing them on the current client', async () => {
    const native = describer();
    const error = await requireTopics(setupListing(['a']), () => native, ['a', 'b']).then(
      () => undefined,
      (failure: RxKafkaError) => failure,
    );
    expect(error?.code).to.equal('RXK_TOPIC_NOT_FOUND');
    expect(error?.message).to.contain("'b'");
    expect(native.described).to.deep.equal(['b']);
  });

  it('fails alike without a client to describe them on', async () => {
    const error = await requireTopics(setupListing([]), () => undefined, ['a']).then(
      () => undefined,
      (failure: RxKafkaError) => failure,
    );
    expect(error?.code).to.equal('RXK_TOPIC_NOT_FOUND');
  });
});
