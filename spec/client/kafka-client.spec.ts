import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { KafkaClient, KafkaHeaders, RxKafkaError, silentLogger } from '../../lib';
import { FakeKafkaDriver, type FakeConsumer } from '../support/fake-kafka-driver';
import { EVERY_TRANSPORT_KAFKA_KEY, NESTED_TYPOS } from '../options/kafka-config-fixtures';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A reply record as a NestJS server writes it: strings as they are, anything else as JSON. */
function reply(id: string, value: unknown, final = true) {
  return {
    value: typeof value === 'string' ? value : JSON.stringify(value),
    headers: {
      [KafkaHeaders.CORRELATION_ID]: Buffer.from(id),
      ...(final ? { [KafkaHeaders.NEST_IS_DISPOSED]: Buffer.from([0]) } : {}),
    },
  };
}

describe('KafkaClient (on a fake driver)', () => {
  let driver: FakeKafkaDriver;
  let client: KafkaClient;
  let replies: FakeConsumer;

  beforeEach(async () => {
    driver = new FakeKafkaDriver();
    driver.endOffsets.set('math.sum.reply', [
      { partition: 0, high: '42' },
      { partition: 1, high: '7' },
    ]);
    client = new KafkaClient({ driver, logger: silentLogger, requestTimeoutMs: 10_000 });
    client.subscribeToResponseOf('math.sum');
    await client.connect();
    replies = driver.consumer;
  });

  afterEach(async () => {
    await client.close();
  });

  describe('.connect()', () => {
    it('joins the reply group with NestJS’s reply partition assignment and the previous partitions', () => {
      expect(replies.settings.groupId).to.equal('nestjs-group-client');
      expect(replies.settings.replyPartitions?.toPreviousAssignment()).to.deep.equal({ 'math.sum.reply': 0 });
      expect(client.getConsumerAssignments()).to.deep.equal({ 'math.sum.reply': 0 });
    });

    it('moves the reply consumer to the end of its own reply partition only', () => {
      expect(replies.seeks).to.deep.equal([{ topic: 'math.sum.reply', partition: 0, offset: '42' }]);
    });

    it('moves it there once, for concurrent and later calls, each resolving only after the move', async () => {
      const otherDriver = new FakeKafkaDriver();
      otherDriver.endOffsets.set('math.sum.reply', [{ partition: 0, high: '5' }]);
      const other = new KafkaClient({ driver: otherDriver, logger: silentLogger });
      other.subscribeToResponseOf('math.sum');
      const seeksSeen = () => otherDriver.consumer.seeks.length;
      const calls = await Promise.all([other.connect().then(seeksSeen), other.connect().then(seeksSeen)]);
      await other.connect();
      expect(calls).to.deep.equal([1, 1]);
      expect(otherDriver.consumer.seeks).to.deep.equal([
        { topic: 'math.sum.reply', partition: 0, offset: '5' },
      ]);
      await other.close();
    });
  });

  describe('.send()', () => {
    it('writes the request with NestJS’s headers and emits the reply it is answered with', async () => {
      const result = firstValueFrom(client.send<{ total: number }>('math.sum', [1, 2]));
      await settle();
      const [sent] = driver.producer.records;
      expect(sent.topic).to.equal('math.sum');
      expect(String(sent.record.value)).to.equal('[1,2]');
      const headers = sent.record.headers ?? {};
      expect(headers[KafkaHeaders.REPLY_TOPIC]).to.equal('math.sum.reply');
      expect(headers[KafkaHeaders.REPLY_PARTITION]).to.equal('0');
      const id = String(headers[KafkaHeaders.CORRELATION_ID]);
      await replies.deliver('math.sum.reply', 0, [reply(id, { total: 3 })]);
      expect(await result).to.deep.equal({ total: 3 });
      expect(client.pendingRequests).to.equal(0);
    });

    it('emits every value of a streamed reply and completes on the one with is-disposed', async () => {
      const result = lastValueFrom(client.send('math.sum', [1]).pipe(toArray()));
      await settle();
      const id = String(driver.producer.records[0].record.headers?.[KafkaHeaders.CORRELATION_ID]);
      await replies.deliver('math.sum.reply', 0, [
        reply(id, 'a', false),
        reply(id, 'b', false),
        reply(id, 'c'),
      ]);
      expect(await result).to.deep.equal(['a', 'b', 'c']);
    });

    it('reports the replies it handled as finished, as the inspector’s reply partition rows show', async () => {
      const result = lastValueFrom(client.send('math.sum', [1]).pipe(toArray()));
      await settle();
      const id = String(driver.producer.records[0].record.headers?.[KafkaHeaders.CORRELATION_ID]);
      await replies.deliver('math.sum.reply', 0, [reply(id, 'a', false), reply(id, 'b')], 42);
      await result;
      const progress = client.connection.progress.sample('math.sum.reply', 0);
      expect([progress.finishedOffset, progress.inFlight]).to.deep.equal(['43', 0]);
    });

    it('fails with RXK_REQUEST_TIMEOUT when no reply comes in time', async () => {
      const error = await firstValueFrom(client.send('math.sum', [1], { timeoutMs: 10 })).catch((e) => e);
      expect((error as RxKafkaError).code).to.equal('RXK_REQUEST_TIMEOUT');
      expect(client.pendingRequests).to.equal(0);
    });

    it('fails with RXK_NO_REPLY_PARTITION for a pattern it did not subscribe to', async () => {
      const error = await firstValueFrom(client.send('math.max', [1])).catch((e) => e);
      expect((error as RxKafkaError).code).to.equal('RXK_NO_REPLY_PARTITION');
      expect(driver.producer.records).to.deep.equal([]);
    });
  });

  describe('a rebalance', () => {
    it('keeps the reply partition the new assignment gives, for the next request', () => {
      replies.rebalance({ 'math.sum.reply': [1] });
      expect(client.getConsumerAssignments()).to.deep.equal({ 'math.sum.reply': 1 });
    });
  });

  describe('.close()', () => {
    it('fails every pending request with RXK_CONNECTION_CLOSED and disconnects', async () => {
      const pending = firstValueFrom(client.send('math.sum', [1])).catch((e) => e);
      await settle();
      expect(await client.close()).to.deep.equal({ pendingRequestsFailed: 1 });
      expect(((await pending) as RxKafkaError).code).to.equal('RXK_CONNECTION_CLOSED');
      expect(replies.connected).to.equal(false);
      expect(driver.producer.connected).to.equal(false);
    });
  });
});

describe('KafkaClient options', () => {
  for (const { options, path, suggestion } of NESTED_TYPOS) {
    it(`rejects ${path} in the constructor, before any connection, suggesting the key meant`, () => {
      const driver = new FakeKafkaDriver();
      expect(() => new KafkaClient({ ...options, driver }))
        .to.throw(RxKafkaError, `unknown option '${path}': ${suggestion}`)
        .with.property('code', 'RXK_INVALID_OPTIONS');
      expect(driver.producers).to.have.length(0);
      expect(driver.consumers).to.have.length(0);
    });
  }

  it('accepts every key kafkajs takes, down to the kafkajs client built from them', () => {
    expect(() => new KafkaClient({ ...EVERY_TRANSPORT_KAFKA_KEY, logger: silentLogger })).not.to.throw();
  });
});
