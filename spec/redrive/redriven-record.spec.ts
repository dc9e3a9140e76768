import { expect } from 'chai';
import { DeadLetterHeaders, RedriveHeaders, RetryHeaders, RxKafkaError, redriveDeadLetters } from '../../lib';
import { readOriginalTopic, toRedrivenRecord } from '../../lib/redrive/redriven-record';
import type { FetchedRecord } from '../../lib/kafka/kafka-record';

const letter: FetchedRecord = {
  key: Buffer.from('account-1'),
  value: Buffer.from([0, 1, 2, 255]),
  offset: '42',
  timestamp: '1700000000000',
  attributes: 0,
  headers: {
    tenant: Buffer.from('acme'),
    trace: [Buffer.from('a'), Buffer.from('b')],
    [DeadLetterHeaders.ORIGINAL_TOPIC]: Buffer.from('ledger'),
    [DeadLetterHeaders.ORIGINAL_PARTITION]: Buffer.from('1'),
    [DeadLetterHeaders.ORIGINAL_OFFSET]: Buffer.from('7'),
    [DeadLetterHeaders.ORIGINAL_TIMESTAMP]: Buffer.from('1690000000000'),
    [DeadLetterHeaders.EXCEPTION_FQCN]: Buffer.from('Error'),
    [DeadLetterHeaders.EXCEPTION_MESSAGE]: Buffer.from('down'),
    [DeadLetterHeaders.ATTEMPTS]: Buffer.from('3'),
    [DeadLetterHeaders.HANDLER]: Buffer.from('Ledger.handle'),
    [RetryHeaders.ATTEMPT]: Buffer.from('3'),
    [RetryHeaders.DUE_AT]: Buffer.from('1'),
    [RetryHeaders.FIRST_FAILURE_AT]: Buffer.from('1'),
    [RetryHeaders.EXCEPTION_CODE]: Buffer.from('E_DOWN'),
    [RedriveHeaders.BY]: Buffer.from('an earlier re-drive'),
  },
};

describe('toRedrivenRecord()', () => {
  const record = toRedrivenRecord(letter, {
    deadLetterTopic: 'ledger.dlt',
    partition: 1,
    by: 'alice',
    atMs: 1234,
  });

  it('keeps the key and value byte for byte', () => {
    expect(record.key).to.equal(letter.key);
    expect(record.value).to.equal(letter.value);
  });

  it('keeps the user headers, repeated ones included', () => {
    expect(record.headers?.tenant).to.equal(letter.headers?.tenant);
    expect(record.headers?.trace).to.deep.equal(letter.headers?.trace);
  });

  it('drops every dead-letter and retry header', () => {
    for (const name of [...Object.values(DeadLetterHeaders), ...Object.values(RetryHeaders)]) {
      expect(record.headers, name).to.not.have.property(name);
    }
  });

  it('says where it was re-driven from, by whom and when (replacing an earlier re-drive’s)', () => {
    expect(record.headers?.[RedriveHeaders.FROM]).to.equal('ledger.dlt/1/42');
    expect(record.headers?.[RedriveHeaders.BY]).to.equal('alice');
    expect(record.headers?.[RedriveHeaders.AT]).to.equal('1234');
  });

  it('leaves the partition to the partitioner (by key)', () => {
    expect(record).to.not.have.property('partition');
  });
});

describe('readOriginalTopic()', () => {
  it('reads the header as text', () => {
    expect(readOriginalTopic(letter.headers)).to.equal('ledger');
  });

  it('is undefined without the header, or with an empty one', () => {
    expect(readOriginalTopic(undefined)).to.equal(undefined);
    expect(readOriginalTopic({ [DeadLetterHeaders.ORIGINAL_TOPIC]: Buffer.from(' ') })).to.equal(undefined);
  });
});

describe('redriveDeadLetters() options', () => {
  it('refuses a missing topic, naming the option', async () => {
    const error = await redriveDeadLetters({ by: 'alice' } as never).then(
      () => undefined,
      (thrown: unknown) => thrown as RxKafkaError,
    );
    expect(error?.code).to.equal('RXK_INVALID_OPTIONS');
    expect(error?.message).to.contain('topic');
  });

  it('refuses a missing or blank by, naming the option', async () => {
    for (const by of [undefined, '  ']) {
      const error = await redriveDeadLetters({ topic: 'ledger.dlt', by } as never).then(
        () => undefined,
        (thrown: unknown) => thrown as RxKafkaError,
      );
      expect(error?.code, String(by)).to.equal('RXK_INVALID_OPTIONS');
      expect(error?.message).to.contain('by');
    }
  });

  it('refuses a filter that is not a function and an unknown option', async () => {
    for (const options of [
      { topic: 'ledger.dlt', by: 'alice', filter: true },
      { topic: 'ledger.dlt', by: 'alice', grupId: 'x' },
    ]) {
      const error = await redriveDeadLetters(options as never).then(
        () => undefined,
        (thrown: unknown) => thrown as RxKafkaError,
      );
      expect(error?.code).to.equal('RXK_INVALID_OPTIONS');
    }
  });
});
