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

  /** Acknowledges send `index` as written at `offset` of partition 0. */
  ack(index: number, offset: number): void {
    const { topic, settle } = this.sends[index];
    settle([{ topic, partition: 0, offset: String(offset) }]);
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
      producer.sends.map(({ topic, records }) => [topic, records[0].key, records[0].value]),
    ).to.deep.equal([
      ['out', undefined, '{"id":1}'],
      ['out', 'k', 'v'],
    ]);
    producer.ack(0, 10);
    producer.ack(1, 11);
    expect(await output).to.deep.equal([
      { input: { id: 1 }, written: { topic: 'out', partition: 0, offset: '10' } },
      { input: { key: 'k', value: 'v' }, written: { topic: 'out', partition: 0, offset: '11' } },
    ]);
  });

  it('sends every element at once and emits in input order, whatever order the acknowledgements come in', async () => {
    const producer = new ManualProducer();
    const source = new Subject<string>();
    const emitted: string[] = [];
    source
      .pipe(produceTo('out', producer, { toRecord: (value) => ({ value }) }))
      .subscribe((produced) => emitted.push(`${produced.input}@${produced.written.offset}`));
    source.next('a');
    source.next('b');
    expect(producer.sends).to.have.length(2);
    producer.ack(1, 6);
    await flushPromises();
    expect(emitted).to.deep.equal([]);
    producer.ack(0, 5);
    await flushPromises();
    expect(emitted).to.deep.equal(['a@5', 'b@6']);
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
