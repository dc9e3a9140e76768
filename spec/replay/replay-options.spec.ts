import { expect } from 'chai';
import {
  REPLAY_MAX_WAIT_MS,
  resolveReplayOptions,
  type ReplayOptions,
} from '../../lib/replay/replay-options';
import { replay } from '../../lib/replay/replay';
import { EVERY_CLIENT_KEY, EVERY_CONSUMER_KEY_BUT_GROUP_ID, typosIn } from '../options/kafka-config-fixtures';

function failureOf(
  topic: unknown,
  options: unknown,
): { code?: string; message: string; context: { path?: string } } {
  try {
    resolveReplayOptions(topic, options as ReplayOptions);
  } catch (error) {
    return error as { code?: string; message: string; context: { path?: string } };
  }
  throw new Error('expected resolveReplayOptions to throw');
}

describe('resolveReplayOptions()', () => {
  it("defaults to from 'earliest' until 'caught-up', a short fetch wait and its own client id", () => {
    const resolved = resolveReplayOptions('orders', {});
    expect(resolved.from).to.deep.equal({ kind: 'earliest' });
    expect(resolved.until).to.equal('caught-up');
    expect(resolved.consumerConfig).to.deep.equal({ maxWaitTimeInMs: REPLAY_MAX_WAIT_MS });
    expect(resolved.kafkaConfig).to.include({ clientId: 'rxkafka-replay' });
    expect(resolved.groupIdPrefix).to.equal('rxkafka-replay');
    expect(Object.isFrozen(resolved)).to.equal(true);
  });

  it('resolves a Date or epoch milliseconds to a timestamp', () => {
    expect(resolveReplayOptions('t', { from: { timestamp: new Date(1_000) } }).from).to.deep.equal({
      kind: 'timestamp',
      timestampMs: 1_000,
    });
    expect(resolveReplayOptions('t', { from: { timestamp: 5 } }).from).to.deep.equal({
      kind: 'timestamp',
      timestampMs: 5,
    });
  });

  it('resolves offsets given as numbers or decimal strings, per partition', () => {
    const { from } = resolveReplayOptions('t', { from: { offsets: { 0: 3, 2: '9007199254740993' } } });
    expect(from).to.deep.equal({
      kind: 'offsets',
      offsets: new Map([
        [0, 3n],
        [2, 9007199254740993n],
      ]),
    });
  });

  it('never writes into the options it is given', () => {
    const options = Object.freeze({ consumer: Object.freeze({ sessionTimeout: 30_000 }) });
    expect(resolveReplayOptions('t', options).consumerConfig).to.include({ sessionTimeout: 30_000 });
  });

  it('gives kafkajs a sasl it can write its authenticationProvider into, never the caller’s', () => {
    const sasl = Object.freeze({ mechanism: 'scram-sha-512' as const, username: 'u', password: 'p' });
    const resolved = resolveReplayOptions('t', { client: { sasl } });
    expect(resolved.kafkaConfig.sasl).to.deep.equal(sasl);
    expect(resolved.kafkaConfig.sasl).not.to.equal(sasl);
    expect(Object.isFrozen(resolved.kafkaConfig.sasl)).to.equal(false);
  });

  it('takes a null sasl for none, as kafkajs does', () => {
    expect(
      resolveReplayOptions('t', { client: { sasl: null } } as unknown as ReplayOptions).kafkaConfig.sasl,
    ).to.equal(null);
  });

  const invalid: Array<[string, unknown, unknown, string]> = [
    ['an empty topic', '', {}, 'topic'],
    ['an unknown until', 't', { until: 'forever' }, 'until'],
    ['an unknown from', 't', { from: 'latest' }, 'from'],
    ['a negative timestamp', 't', { from: { timestamp: -1 } }, 'from.timestamp'],
    ['an invalid Date', 't', { from: { timestamp: new Date('nope') } }, 'from.timestamp'],
    ['a negative offset', 't', { from: { offsets: { 0: -1 } } }, 'from.offsets.0'],
    ['an offset that is not a number', 't', { from: { offsets: { 0: '12a' } } }, 'from.offsets.0'],
    ['a partition key that is not a number', 't', { from: { offsets: { a: 1 } } }, 'from.offsets'],
    ['both timestamp and offsets', 't', { from: { timestamp: 1, offsets: {} } }, 'from.offsets'],
    ['a consumer groupId', 't', { consumer: { groupId: 'mine' } }, 'consumer.groupId'],
    ['a decode that is not a function', 't', { decode: 'json' }, 'decode'],
    ['an empty groupIdPrefix', 't', { groupIdPrefix: '' }, 'groupIdPrefix'],
    ['a misspelt option', 't', { untill: 'live' }, 'untill'],
  ];
  for (const [what, topic, options, path] of invalid) {
    it(`rejects ${what} with RXK_INVALID_OPTIONS naming ${path}`, () => {
      const error = failureOf(topic, options);
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal(path);
    });
  }

  describe('kafkajs configs (client, consumer)', () => {
    for (const { options, path, suggestion } of typosIn('client', 'consumer')) {
      it(`rejects ${path} at replay(), before any connection, suggesting the key meant`, () => {
        const error = failureOf('t', options);
        expect(error.code).to.equal('RXK_INVALID_OPTIONS');
        expect(error.context.path).to.equal(path);
        expect(error.message).to.include(suggestion);
        expect(() => replay('t', options as ReplayOptions))
          .to.throw(`unknown option '${path}'`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
      });
    }

    it('accepts every key kafkajs takes', () => {
      const resolved = resolveReplayOptions('t', {
        client: EVERY_CLIENT_KEY,
        consumer: EVERY_CONSUMER_KEY_BUT_GROUP_ID,
      });
      expect(resolved.kafkaConfig).to.have.all.keys(Object.keys(EVERY_CLIENT_KEY));
      expect(resolved.consumerConfig).to.have.all.keys(Object.keys(EVERY_CONSUMER_KEY_BUT_GROUP_ID));
    });
  });
});
