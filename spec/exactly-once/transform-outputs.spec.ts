import { expect } from 'chai';
import { of, throwError } from 'rxjs';
import { collectOutputs, toProduceRequest, toTopicRecord } from '../../lib/exactly-once/transform-outputs';

describe('transform outputs', () => {
  describe('toTopicRecord()', () => {
    it('encodes value and key as the client’s serializer does, and copies the headers', () => {
      const headers = { trace: 'abc' };
      const { topic, record } = toTopicRecord({
        topic: 'invoices',
        key: 7,
        value: { total: 3 },
        headers,
        partition: 2,
      });
      expect(topic).to.equal('invoices');
      expect(record).to.deep.equal({
        key: '7',
        value: '{"total":3}',
        headers: { trace: 'abc' },
        partition: 2,
      });
      expect(record.headers).not.to.equal(headers);
      expect(toTopicRecord({ topic: 't', key: null, value: Buffer.from('raw') }).record).to.deep.equal({
        key: null,
        value: Buffer.from('raw'),
      });
    });

    it('throws on an output without a topic', () => {
      expect(() => toTopicRecord({ value: 1 } as never)).to.throw(
        TypeError,
        /must be an object with a topic/,
      );
      expect(() => toTopicRecord(null as never)).to.throw(TypeError);
    });
  });

  describe('collectOutputs()', () => {
    it('answers synchronously for a plain output, an array or nothing', () => {
      expect(collectOutputs({ topic: 't', value: 'a' })).to.have.length(1);
      expect(
        collectOutputs([
          { topic: 't', value: 'a' },
          { topic: 't', value: 'b' },
        ]),
      ).to.have.length(2);
      expect(collectOutputs(undefined)).to.deep.equal([]);
      expect(collectOutputs(null)).to.deep.equal([]);
    });

    it('waits for a Promise and for every value of an Observable', async () => {
      expect(await collectOutputs(Promise.resolve([{ topic: 't', value: 1 }]))).to.have.length(1);
      expect(await collectOutputs(of({ topic: 't', value: 1 }, { topic: 't', value: 2 }))).to.have.length(2);
    });

    it('rejects with the error of a failed Observable', async () => {
      const failure = new Error('lookup failed');
      const collected = collectOutputs(throwError(() => failure)) as Promise<unknown>;
      expect(
        await collected.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ).to.equal(failure);
    });
  });

  describe('toProduceRequest()', () => {
    it('groups records by topic, keeping their order within each topic', () => {
      const request = toProduceRequest([
        toTopicRecord({ topic: 'a', value: '1' }),
        toTopicRecord({ topic: 'b', value: '2' }),
        toTopicRecord({ topic: 'a', value: '3' }),
      ]);
      expect(
        request.topicMessages.map(({ topic, messages }) => [topic, messages.map((m) => m.value)]),
      ).to.deep.equal([
        ['a', ['1', '3']],
        ['b', ['2']],
      ]);
    });

    it('hands kafkajs each record with every key its encoder sets on its copy, placeholders included', () => {
      const request = toProduceRequest([toTopicRecord({ topic: 'a', key: 'k', value: { n: 1 } })]);
      const [message] = request.topicMessages[0].messages;
      expect(Object.keys(message)).to.deep.equal([
        'key',
        'value',
        'headers',
        'partition',
        'timestamp',
        'offsetDelta',
        'timestampDelta',
      ]);
      expect(message).to.include({ key: 'k', value: '{"n":1}', offsetDelta: 0, timestampDelta: 0 });
    });
  });
});
