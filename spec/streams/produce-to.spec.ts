import { expect } from 'chai';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { produceTo, RxKafkaError, type OutgoingRecord, type WrittenOffset } from '../../lib';

/** A producer whose sends the spec settles by hand, in any order. */
class ManualProducer {
  readonly sends: Array<{
    topic: string;
    records: OutgoingRecord[];
    settle: (written: WrittenOffset[]) => void;
    fail: (error: unknown) => void;
  }> = [];

  send(topic: string, records: OutgoingRecord[]): Promise<WrittenOffset[]> {
    return new Promise((settle, fail) => this.sends.push({ topic, records, settle, fail }));
  }

  /** Acknowledges send `index` as written from `offset` on, in partition 0. */
  ack(index: number, offset: number): void {
    const { topic, records, settle } = this.sends[index];
    settle(records.map((_, at) => ({ topic, partition: 0, offset: String(offset + at) })));
  }
}

const flushPromises = () => new Promise((resolve) => setImmediate(resolve));

describe('produceTo()', () => {
  it('writes each element with the NestJS serializer and emits it with where it was written', async () => {
    const producer = new ManualProducer();
    const output = lastValueFrom(
      from([{ id: 1 }, { key: 'k', value: 'v' }]).pipe(produceTo('out', producer), toArray()),
    );
    await flushPromises();
    expect(
      producer.sends.map(({ topic, records }) => [topic, records.map(({ key, value }) => [key, value])]),
    ).to.deep.equal([
      [
        'out',
        [
          [undefined, '{"id":1}'],
          ['k', 'v'],
        ],
      ],
    ]);
    producer.ack(0, 10);
    expect(await output).to.deep.equal([
      { input: { id: 1 }, written: { topic: 'out', partition: 0, offset: '10' } },
      { input: { key: 'k', value: 'v' }, written: { topic: 'out', partition: 0, offset: '11' } },
    ]);
  });

  it('sends the elements of one moment in one send, without waiting for earlier sends', async () => {
    const producer = new ManualProducer();
    const source = new Subject<string>();
    source.pipe(produceTo('out', producer, { toRecord: (value) => ({ value }) })).subscribe();
    source.next('a');
    source.next('b');
    await Promise.resolve();
    source.next('c');
    await Promise.resolve();
    expect(producer.sends.map(({ records }) => records.map(({ value }) => value))).to.deep.equal([
      ['a', 'b'],
      ['c'],
    ]);
  });

  it('splits a burst larger than 1,000 elements into sends of at most 1,000 records', async () => {
    const producer = new ManualProducer();
    const elements = Array.from({ length: 2_500 }, (_, index) => index);
    from(elements)
      .pipe(produceTo('out', producer, { toRecord: (value) => ({ value: String(value) }) }))
      .subscribe();
    await flushPromises();
    expect(producer.sends.map(({ records }) => records.length)).to.deep.equal([1_000, 1_000, 500]);
    expect(producer.sends.flatMap(({ records }) => records.map(({ value }) => Number(value)))).to.deep.equal(
      elements,
    );
  });

  it('emits in input order, whatever order the acknowledgements of its sends come in', async () => {
    const producer = new ManualProducer();
    const source = new Subject<string>();
    const emitted: string[] = [];
    source
      .pipe(produceTo('out', producer, { toRecord: (value) => ({ value }) }))
      .subscribe((produced) => emitted.push(`${produced.input}@${produced.written.offset}`));
    source.next('a');
    source.next('b');
    await Promise.resolve();
    source.next('c');
    await Promise.resolve();
    expect(producer.sends).to.have.length(2);
    producer.ack(1, 7);
    await flushPromises();
    expect(emitted).to.deep.equal([]);
    producer.ack(0, 5);
    await flushPromises();
    expect(emitted).to.deep.equal(['a@5', 'b@6', 'c@7']);
  });

  it('sends nothing more once unsubscribed before its moment ended', async () => {
    const producer = new ManualProducer();
    const source = new Subject<string>();
    const subscription = source
      .pipe(produceTo('out', producer, { toRecord: (value) => ({ value }) }))
      .subscribe();
    source.next('a');
    subscription.unsubscribe();
    await flushPromises();
    expect(producer.sends).to.have.length(0);
  });

  it('completes once the source completed and every send is acknowledged', async () => {
    const producer = new ManualProducer();
    const source = new Subject<string>();
    let completed = false;
    source.pipe(produceTo('out', producer)).subscribe({ complete: () => (completed = true) });
    source.next('a');
    source.complete();
    await flushPromises();
    expect(completed).to.equal(false);
    producer.ack(0, 0);
    await flushPromises();
    expect(completed).to.equal(true);
  });

  it('fails with the error of a send that fails', async () => {
    const producer = new ManualProducer();
    const failed = lastValueFrom(from(['a']).pipe(produceTo('out', producer))).catch(
      (error: unknown) => error,
    );
    await flushPromises();
    producer.sends[0].fail(new RxKafkaError('RXK_SEND_FAILED', 'no'));
    expect(((await failed) as RxKafkaError).code).to.equal('RXK_SEND_FAILED');
  });

  it('fails with the error of a toRecord that throws', async () => {
    const producer = new ManualProducer();
    const failed = lastValueFrom(
      from(['a']).pipe(
        produceTo('out', producer, {
          toRecord: () => {
            throw new Error('cannot encode');
          },
        }),
      ),
    ).catch((error: unknown) => error);
    expect(((await failed) as Error).message).to.equal('cannot encode');
    expect(producer.sends).to.have.length(0);
  });
});
