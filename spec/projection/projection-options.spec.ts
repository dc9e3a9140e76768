import { expect } from 'chai';
import { resolveProjectionOptions, type ProjectionOptions } from '../../lib/projection/projection-options';
import { projection } from '../../lib/projection/projection';
import { resolveReplayOptions } from '../../lib/replay/replay-options';
import { EVERY_CLIENT_KEY, EVERY_CONSUMER_KEY_BUT_GROUP_ID, typosIn } from '../options/kafka-config-fixtures';

const reducer = (state: number) => state + 1;

function failureOf(
  topic: unknown,
  fold: unknown,
  options: unknown,
): { code?: string; context: { path?: string } } {
  try {
    resolveProjectionOptions(topic, fold, options as ProjectionOptions<number>);
  } catch (error) {
    return error as { code?: string; context: { path?: string } };
  }
  throw new Error('expected resolveProjectionOptions to throw');
}

describe('resolveProjectionOptions()', () => {
  it('names the projection after its topic and waits 30 s by default', () => {
    const resolved = resolveProjectionOptions('orders', reducer, {});
    expect(resolved).to.include({
      name: 'projection-orders',
      snapshots: undefined,
      waitForTimeoutMs: 30_000,
    });
    expect(resolved.serialize(4)).to.equal(4);
    expect(resolved.deserialize(4)).to.equal(4);
  });

  it('keeps the snapshot topic and interval', () => {
    const resolved = resolveProjectionOptions('orders', reducer, {
      name: 'n',
      snapshots: { topic: 's', every: 10 },
    });
    expect(resolved.snapshots).to.deep.equal({ topic: 's', every: 10 });
  });

  const invalid: Array<[string, unknown, unknown, unknown, string]> = [
    ['an empty topic', '', reducer, {}, 'topic'],
    ['a reducer that is not a function', 'orders', {}, {}, 'reducer'],
    ['snapshots without a name', 'orders', reducer, { snapshots: { topic: 's', every: 10 } }, 'name'],
    [
      'snapshots without every',
      'orders',
      reducer,
      { name: 'n', snapshots: { topic: 's' } },
      'snapshots.every',
    ],
    [
      'snapshots every 0 records',
      'orders',
      reducer,
      { name: 'n', snapshots: { topic: 's', every: 0 } },
      'snapshots.every',
    ],
    [
      'snapshots into the source topic',
      'orders',
      reducer,
      { name: 'n', snapshots: { topic: 'orders', every: 1 } },
      'snapshots.topic',
    ],
    [
      'an unknown snapshots key',
      'orders',
      reducer,
      { name: 'n', snapshots: { topic: 's', every: 1, evry: 2 } },
      'snapshots.evry',
    ],
    ['a serialize that is not a function', 'orders', reducer, { serialize: 'json' }, 'serialize'],
    ['a negative waitForTimeoutMs', 'orders', reducer, { waitForTimeoutMs: -1 }, 'waitForTimeoutMs'],
    ['a replay-only option', 'orders', reducer, { from: 'earliest' }, 'from'],
  ];
  for (const [what, topic, fold, options, path] of invalid) {
    it(`rejects ${what} with RXK_INVALID_OPTIONS naming ${path}`, () => {
      const error = failureOf(topic, fold, options);
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal(path);
    });
  }

  describe('kafkajs configs (client, consumer)', () => {
    for (const { options, path, suggestion } of typosIn('client', 'consumer')) {
      it(`rejects ${path} at projection(), before any connection, suggesting the key meant`, () => {
        expect(() => projection('orders', reducer, 0, options as ProjectionOptions<number>))
          .to.throw(`unknown option '${path}': ${suggestion}`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
      });
    }

    it('accepts every key kafkajs takes, as its replays read them', () => {
      const resolved = resolveProjectionOptions('orders', reducer, {
        client: EVERY_CLIENT_KEY,
        consumer: EVERY_CONSUMER_KEY_BUT_GROUP_ID,
      });
      expect(() => resolveReplayOptions('orders', resolved.replay)).not.to.throw();
    });
  });
});
