import { expect } from 'chai';
import { resolveConsumeOptions, type ConsumeOptions } from '../../lib/streams/consume-options';
import { consume } from '../../lib/streams/record-stream';
import { EVERY_CLIENT_KEY, EVERY_CONSUMER_KEY_BUT_GROUP_ID, typosIn } from '../options/kafka-config-fixtures';

const VALID = { groupId: 'orders-projector', topics: ['orders'] };

describe('resolveConsumeOptions()', () => {
  describe('kafkajs configs (client, consumer)', () => {
    for (const { options, path, suggestion } of typosIn('client', 'consumer')) {
      it(`rejects ${path} at consume(), before any connection, suggesting the key meant`, () => {
        expect(() => consume({ ...VALID, ...options } as ConsumeOptions))
          .to.throw(`unknown option '${path}': ${suggestion}`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
      });
    }

    it('accepts every key kafkajs takes', () => {
      const resolved = resolveConsumeOptions({
        ...VALID,
        client: EVERY_CLIENT_KEY,
        consumer: EVERY_CONSUMER_KEY_BUT_GROUP_ID,
      });
      expect(resolved.kafkaConfig).to.have.all.keys(Object.keys(EVERY_CLIENT_KEY));
      expect(resolved.consumerConfig).to.have.all.keys([
        ...Object.keys(EVERY_CONSUMER_KEY_BUT_GROUP_ID),
        'groupId',
      ]);
    });
  });
});

describe('resolveConsumeOptions() retryTopics', () => {
  const refusal = (options: Partial<ConsumeOptions>) => {
    try {
      resolveConsumeOptions({ ...VALID, ...options } as ConsumeOptions);
    } catch (error) {
      return error as Error & { code?: string; context?: { path?: string } };
    }
    throw new Error('expected resolveConsumeOptions() to throw');
  };

  it('gives each topic its retry topics and dead-letter topic, named as a handler’s', () => {
    const resolved = resolveConsumeOptions({
      ...VALID,
      topics: ['orders', 'payments'],
      retryTopics: { delaysMs: [200, 1000] },
    });
    expect(resolved.retryTopics?.topics).to.deep.equal([
      'orders.retry.200',
      'orders.retry.1000',
      'payments.retry.200',
      'payments.retry.1000',
    ]);
    expect(
      resolved.retryTopics?.plans.map(({ source, deadLetter, name }) => ({ source, deadLetter, name })),
    ).to.deep.equal([
      { source: 'orders', deadLetter: 'orders.dlt', name: 'consume:orders-projector' },
      { source: 'payments', deadLetter: 'payments.dlt', name: 'consume:orders-projector' },
    ]);
  });

  it('has no retry routes without the option', () => {
    expect(resolveConsumeOptions(VALID).retryTopics).to.equal(undefined);
  });

  const cases: Array<{ title: string; retryTopics: unknown; path: string; says: string }> = [
    {
      title: 'a value that is no object',
      retryTopics: [200],
      path: 'retryTopics',
      says: 'must be an object',
    },
    {
      title: 'an empty delay list',
      retryTopics: { delaysMs: [] },
      path: 'retryTopics.delaysMs',
      says: 'non-empty',
    },
    {
      title: 'an unsorted delay list',
      retryTopics: { delaysMs: [1000, 200] },
      path: 'retryTopics.delaysMs',
      says: 'strictly increasing',
    },
    {
      title: 'a delay that is not positive',
      retryTopics: { delaysMs: [0, 200] },
      path: 'retryTopics.delaysMs',
      says: 'positive integer',
    },
    {
      title: 'an unknown field',
      retryTopics: { delaysMs: [200], delay: 5 },
      path: 'retryTopics.delay',
      says: 'is not an option',
    },
    {
      title: 'a deadLetter that is no topic name',
      retryTopics: { delaysMs: [200], deadLetter: '' },
      path: 'retryTopics.deadLetter',
      says: 'true, false or a topic name',
    },
    {
      title: 'a topicOf that gives no topic name',
      retryTopics: { delaysMs: [200], topicOf: () => '' },
      path: 'retryTopics.topicOf',
      says: 'must return a topic name',
    },
    {
      title: 'a retry topic that is also a topic the stream reads',
      retryTopics: { delaysMs: [200], topicOf: () => 'orders' },
      path: 'retryTopics.topicOf',
      says: 'retry topic orders cannot be used',
    },
  ];
  for (const { title, retryTopics, path, says } of cases) {
    it(`refuses ${title}, naming ${path}`, () => {
      const error = refusal({ retryTopics: retryTopics as ConsumeOptions['retryTopics'] });
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context?.path).to.equal(path);
      expect(error.message).to.include(path).and.to.include(says);
    });
  }

  it('refuses a RegExp among the topics, which could match the retry topics themselves', () => {
    const error = refusal({ topics: ['orders', /^audit\./], retryTopics: { delaysMs: [200] } });
    expect(error.code).to.equal('RXK_INVALID_OPTIONS');
    expect(error.context?.path).to.equal('retryTopics');
    expect(error.message).to.include('needs topic names');
  });

  it('refuses at consume(), before any connection', () => {
    expect(() => consume({ ...VALID, retryTopics: { delaysMs: [] } }))
      .to.throw('retryTopics.delaysMs')
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });
});
