import { expect } from 'chai';
import { DeadLetterHeaders, RetryHeaders, RxKafkaError, silentLogger } from '../../lib';
import type { ProduceQueue } from '../../lib/connection/produce-queue';
import type { OutgoingRecord } from '../../lib/kafka/kafka-record';
import { StreamRetries } from '../../lib/streams/stream-retries';
import { resolveStreamRetryTopics } from '../../lib/streams/stream-retry-topics';
import type { RawKafkaRecord } from '../../lib/wire/parser';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

const NOW = 1_700_000_000_000;

/** StreamRetries over a produce queue that only records what it was given, on a fixed clock. */
function createRetries() {
  const sent: Array<{ topic: string; record: OutgoingRecord }> = [];
  const paused: Array<[string, number]> = [];
  const produceQueue = {
    send: async (topic: string, records: OutgoingRecord[]) => {
      for (const record of records) sent.push({ topic, record });
    },
  } as unknown as ProduceQueue;
  const retries = new StreamRetries({
    routes: resolveStreamRetryTopics({ delaysMs: [200, 1000] }, ['orders'], 'g'),
    produceQueue,
    pause: (topic, partition) => paused.push([topic, partition]),
    resume: () => undefined,
    logger: silentLogger,
    now: () => NOW,
  });
  return { retries, sent, paused };
}

function recordOf(topic: string, headers: Record<string, string> = {}): RawKafkaRecord {
  return {
    topic,
    partition: 1,
    offset: '7',
    key: Buffer.from('k'),
    value: Buffer.from('{"id":1}'),
    timestamp: String(NOW - 5_000),
    attributes: 0,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)])),
  };
}

const retryHeaders = (attempt: string, dueAt: number, handler = 'consume:g') => ({
  [RetryHeaders.ATTEMPT]: attempt,
  [RetryHeaders.DUE_AT]: String(dueAt),
  [DeadLetterHeaders.HANDLER]: handler,
});

describe('StreamRetries', () => {
  describe('.admit()', () => {
    it('emits a record of a source topic as its first run', () => {
      expect(createRetries().retries.admit(recordOf('orders'))).to.deep.equal({ kind: 'emit', attempt: 1 });
    });

    it('holds a retry record until its due time', () => {
      const { retries } = createRetries();
      expect(retries.admit(recordOf('orders.retry.200', retryHeaders('2', NOW + 1)))).to.deep.equal({
        kind: 'later',
        dueAtMs: NOW + 1,
      });
    });

    it('emits a due retry record with the attempt its topic is for', () => {
      const { retries } = createRetries();
      expect(retries.admit(recordOf('orders.retry.1000', retryHeaders('3', NOW)))).to.deep.equal({
        kind: 'emit',
        attempt: 3,
      });
    });

    it('emits a retry record without a due time at once', () => {
      const { retries } = createRetries();
      const headers = { [RetryHeaders.ATTEMPT]: '2', [DeadLetterHeaders.HANDLER]: 'consume:g' };
      expect(retries.admit(recordOf('orders.retry.200', headers))).to.deep.equal({
        kind: 'emit',
        attempt: 2,
      });
    });

    it('skips a retry record another consumer wrote to a retry topic it shares', () => {
      const { retries } = createRetries();
      const record = recordOf('orders.retry.200', retryHeaders('2', NOW, 'OrdersController.handle'));
      expect(retries.admit(record)).to.deep.equal({ kind: 'skip' });
    });

    it('rejects a retry record due for an attempt its topic is not for, with the reason', () => {
      const { retries } = createRetries();
      const admission = retries.admit(recordOf('orders.retry.200', retryHeaders('3', NOW)));
      expect(admission.kind).to.equal('reject');
      expect(admission).to.have.property('reason').that.includes('due for attempt 3, not the 2');
    });
  });

  describe('.forward()', () => {
    it('writes a first failure to the first retry topic, due after its delay, with the retry headers', async () => {
      const { retries, sent } = createRetries();
      expect(await retries.forward(recordOf('orders'), 1, new Error('busy'))).to.equal('retry');
      expect(sent).to.have.length(1);
      const [{ topic, record }] = sent;
      expect(topic).to.equal('orders.retry.200');
      expect(String(record.value)).to.equal('{"id":1}');
      expect(record.headers).to.deep.include({
        [RetryHeaders.ATTEMPT]: '2',
        [RetryHeaders.DUE_AT]: String(NOW + 200),
        [DeadLetterHeaders.ORIGINAL_TOPIC]: 'orders',
        [DeadLetterHeaders.ORIGINAL_OFFSET]: '7',
        [DeadLetterHeaders.HANDLER]: 'consume:g',
      });
    });

    it('writes a record whose delays are spent to the dead-letter topic, keeping its first failure’s place', async () => {
      const { retries, sent } = createRetries();
      const record = recordOf('orders.retry.1000', {
        ...retryHeaders('3', NOW),
        [DeadLetterHeaders.ORIGINAL_TOPIC]: 'orders',
        [DeadLetterHeaders.ORIGINAL_OFFSET]: '3',
      });
      expect(await retries.forward(record, 3, new Error('still busy'))).to.equal('dead-letter');
      const [{ topic, record: letter }] = sent;
      expect(topic).to.equal('orders.dlt');
      expect(String(letter.headers?.[DeadLetterHeaders.ORIGINAL_OFFSET])).to.equal('3');
      expect(String(letter.headers?.[DeadLetterHeaders.ATTEMPTS])).to.equal('3');
    });
  });

  describe('.pauseUntil()', () => {
    it('pauses the retry partition', () => {
      const { retries, paused } = createRetries();
      retries.pauseUntil('orders.retry.200', 1, NOW + 200);
      retries.clear();
      expect(paused).to.deep.equal([['orders.retry.200', 1]]);
    });
  });

  describe('.prepare()', () => {
    it('refuses a driver that cannot pause partitions, naming it', async () => {
      const { retries } = createRetries();
      const driver = new FakeKafkaDriver();
      driver.capabilities = { joinsAfterConsume: false, pausesPartitions: false };
      const error = await retries.prepare(driver, driver).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).to.be.instanceOf(RxKafkaError);
      expect(error).to.have.property('code', 'RXK_INVALID_OPTIONS');
      expect((error as Error).message).to.include('the KafkaDriver given as driver cannot');
      expect((error as RxKafkaError).context.path).to.equal('driver');
    });

    it('names a driver given by name', async () => {
      const { retries } = createRetries();
      const driver = new FakeKafkaDriver();
      driver.capabilities = { joinsAfterConsume: false };
      const error = await retries.prepare(driver, 'platformatic').then(
        () => undefined,
        (failure: unknown) => failure as Error,
      );
      expect(error?.message).to.include("driver 'platformatic' cannot");
    });
  });
});
