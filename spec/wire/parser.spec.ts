import { expect } from 'chai';
import type { IHeaders } from 'kafkajs';
import { decodeWireValue, KafkaParser, type RawKafkaRecord } from '../../lib/wire/parser';

function createRecord(fields: {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: IHeaders;
}): RawKafkaRecord {
  return {
    topic: 'math.sum',
    partition: 2,
    offset: '41',
    timestamp: '1700000000000',
    attributes: 0,
    key: null,
    value: null,
    headers: {},
    ...fields,
  };
}

describe('decodeWireValue()', () => {
  context('the decoding rules of the NestJS wire format', () => {
    const rows: Array<[string, unknown, unknown]> = [
      ['null to null', null, null],
      ['undefined to null', undefined, null],
      ['UTF-8 text to a string', Buffer.from('héllo'), 'héllo'],
      ['a number as text to a string (scalars round-trip as strings)', Buffer.from('5'), '5'],
      ['"true" to a string', Buffer.from('true'), 'true'],
      ['a JSON object to an object', Buffer.from('{"a":1,"b":[2]}'), { a: 1, b: [2] }],
      ['a JSON array to an array', Buffer.from('[1,"x",null]'), [1, 'x', null]],
      ['broken JSON starting with { to the string', Buffer.from('{not json'), '{not json'],
      ['broken JSON starting with [ to the string', Buffer.from('[1,'), '[1,'],
      ['a JSON-quoted string to the quoted text (only { and [ are parsed)', Buffer.from('"hi"'), '"hi"'],
      ['a JSON number to text', Buffer.from('42'), '42'],
      ['JSON with leading whitespace to text', Buffer.from(' {"a":1}'), ' {"a":1}'],
      ['an empty Buffer to the empty string', Buffer.alloc(0), ''],
      ['a string to itself', 'plain', 'plain'],
      ['a JSON string to an object', '{"s":true}', { s: true }],
    ];
    for (const [name, input, expected] of rows) {
      it(`decodes ${name}`, () => {
        expect(decodeWireValue(input)).to.deep.equal(expected);
      });
    }
  });

  context('with binary data', () => {
    it('returns a 0x00-leading Buffer as the very same Buffer', () => {
      const avro = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x7b]);
      expect(decodeWireValue(avro)).to.equal(avro);
    });

    it('returns the one-byte is-disposed marker as a Buffer', () => {
      expect(decodeWireValue(Buffer.alloc(1))).to.deep.equal(Buffer.from([0]));
    });

    it('decodes a Buffer whose 0x00 is not the first byte as text', () => {
      expect(decodeWireValue(Buffer.from([0x61, 0x00]))).to.equal('a\u0000');
    });
  });

  context('with a repeated header (kafkajs gives an array)', () => {
    it('joins the elements with commas, as Nest does', () => {
      expect(decodeWireValue([Buffer.from('a'), Buffer.from('b')])).to.equal('a,b');
    });

    it('joins mixed strings and Buffers', () => {
      expect(decodeWireValue(['a', Buffer.from('b'), 'c'])).to.equal('a,b,c');
    });

    it('parses the joined text when it is JSON', () => {
      expect(decodeWireValue([Buffer.from('[1'), Buffer.from('2]')])).to.deep.equal([1, 2]);
    });

    it('keeps the joined text when it is JSON-looking but invalid', () => {
      expect(decodeWireValue([Buffer.from('{"a":1}'), Buffer.from('{"b":2}')])).to.equal('{"a":1},{"b":2}');
    });
  });

  context('with hostile JSON', () => {
    afterEach(() => {
      delete (Object.prototype as Record<string, unknown>).polluted;
    });

    it('does not pollute Object.prototype through __proto__', () => {
      decodeWireValue(Buffer.from('{"__proto__":{"polluted":1}}'));
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('does not pollute Object.prototype through a nested __proto__', () => {
      decodeWireValue(Buffer.from('{"a":{"__proto__":{"polluted":1}}}'));
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('otherwise gives what JSON.parse gives: __proto__ as an own property', () => {
      const text = '{"__proto__":{"polluted":1},"ok":true}';
      const decoded = decodeWireValue(Buffer.from(text)) as Record<string, unknown>;
      expect(decoded).to.deep.equal(JSON.parse(text));
      expect(Object.getPrototypeOf(decoded)).to.equal(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).to.deep.equal({ polluted: 1 });
      expect(decoded.ok).to.equal(true);
    });

    it('keeps a constructor.prototype key inert', () => {
      decodeWireValue(Buffer.from('{"constructor":{"prototype":{"polluted":1}}}'));
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });
});

describe('KafkaParser', () => {
  describe('.parse()', () => {
    it('decodes value, key and every header', () => {
      const parsed = new KafkaParser().parse(
        createRecord({
          key: Buffer.from('user-1'),
          value: Buffer.from('{"a":1}'),
          headers: {
            kafka_correlationId: Buffer.from('58710577e12cd007e9c53'),
            kafka_replyTopic: Buffer.from('math.sum.reply'),
            kafka_replyPartition: Buffer.from('0'),
          },
        }),
      );
      expect(parsed.key).to.equal('user-1');
      expect(parsed.value).to.deep.equal({ a: 1 });
      expect(parsed.headers).to.deep.equal({
        kafka_correlationId: '58710577e12cd007e9c53',
        kafka_replyTopic: 'math.sum.reply',
        kafka_replyPartition: '0',
      });
    });

    it('keeps topic, partition, offset, timestamp and attributes', () => {
      const parsed = new KafkaParser().parse(createRecord({ value: Buffer.from('x') }));
      expect(parsed).to.include({
        topic: 'math.sum',
        partition: 2,
        offset: '41',
        timestamp: '1700000000000',
        attributes: 0,
      });
    });

    it('keeps extra kafkajs fields (magicByte, isControlRecord) as Nest does', () => {
      const record: RawKafkaRecord = Object.assign(createRecord({}), {
        magicByte: 2,
        isControlRecord: false,
      });
      expect(new KafkaParser().parse(record)).to.include({ magicByte: 2, isControlRecord: false });
    });

    it('keeps a 0x00-leading value binary', () => {
      const avro = Buffer.from([0, 0, 0, 0, 9, 1, 2]);
      expect(new KafkaParser().parse(createRecord({ value: avro })).value).to.equal(avro);
    });

    it('decodes the error header as an object and the is-disposed header as a Buffer', () => {
      const parsed = new KafkaParser().parse(
        createRecord({
          headers: {
            'kafka_nest-err': Buffer.from('{"status":"error","message":"bad input"}'),
            'kafka_nest-is-disposed': Buffer.alloc(1),
          },
        }),
      );
      expect(parsed.headers['kafka_nest-err']).to.deep.equal({ status: 'error', message: 'bad input' });
      expect(parsed.headers['kafka_nest-is-disposed']).to.deep.equal(Buffer.from([0]));
    });

    it('keeps a plain-text error header a string', () => {
      const parsed = new KafkaParser().parse(
        createRecord({ headers: { 'kafka_nest-err': Buffer.from('nope') } }),
      );
      expect(parsed.headers['kafka_nest-err']).to.equal('nope');
    });

    it('decodes a repeated header to its comma-joined text', () => {
      const parsed = new KafkaParser().parse(
        createRecord({ headers: { trace: [Buffer.from('a'), Buffer.from('b')] } }),
      );
      expect(parsed.headers.trace).to.equal('a,b');
    });

    it('gives {} for a record without headers (message-set records)', () => {
      const record = { ...createRecord({}), headers: undefined } as unknown as RawKafkaRecord;
      expect(new KafkaParser().parse(record).headers).to.deep.equal({});
    });

    it('keeps a header named __proto__ as an own header without touching the prototype', () => {
      const headers = JSON.parse('{"__proto__":"x","h":"v"}') as IHeaders;
      const parsed = new KafkaParser().parse(createRecord({ headers }));
      expect(Object.getPrototypeOf(parsed.headers)).to.equal(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(parsed.headers, '__proto__')?.value).to.equal('x');
      expect(parsed.headers.h).to.equal('v');
    });

    context('with a tombstone (null value)', () => {
      it('gives a null value', () => {
        expect(new KafkaParser().parse(createRecord({ key: Buffer.from('k'), value: null })).value).to.equal(
          null,
        );
      });

      it('gives a null value for a record that has no value field at all', () => {
        const record = { ...createRecord({}), value: undefined } as unknown as RawKafkaRecord;
        expect(new KafkaParser().parse(record).value).to.equal(null);
      });
    });

    context('with a null key', () => {
      it('leaves the key null', () => {
        expect(new KafkaParser().parse(createRecord({ key: null })).key).to.equal(null);
      });
    });

    context('with keepBinary', () => {
      const parser = new KafkaParser({ keepBinary: true });

      it('leaves the value as the raw Buffer', () => {
        const value = Buffer.from('{"a":1}');
        expect(parser.parse(createRecord({ value })).value).to.equal(value);
      });

      it('still decodes the key and the headers', () => {
        const parsed = parser.parse(
          createRecord({
            key: Buffer.from('{"id":1}'),
            value: Buffer.from('x'),
            headers: { h: Buffer.from('v') },
          }),
        );
        expect(parsed.key).to.deep.equal({ id: 1 });
        expect(parsed.headers).to.deep.equal({ h: 'v' });
      });

      it('leaves a null value null', () => {
        expect(parser.parse(createRecord({ value: null })).value).to.equal(null);
      });
    });

    context('no-mutation guarantee (kafkajs retries see the original record, nestjs/nest#9956)', () => {
      it('returns a new object with a new headers object', () => {
        const record = createRecord({ value: Buffer.from('{"a":1}'), headers: { h: Buffer.from('v') } });
        const parsed = new KafkaParser().parse(record);
        expect(parsed).to.not.equal(record);
        expect(parsed.headers).to.not.equal(record.headers);
      });

      it('leaves value, key and headers of the input as they were', () => {
        const value = Buffer.from('{"a":1}');
        const key = Buffer.from('k');
        const header = Buffer.from('v');
        const record = createRecord({ key, value, headers: { h: header } });
        new KafkaParser().parse(record);
        expect(record.value).to.equal(value);
        expect(record.key).to.equal(key);
        expect(record.headers).to.deep.equal({ h: header });
        expect(record.headers?.h).to.equal(header);
        expect(value.toString()).to.equal('{"a":1}');
      });

      it('parses the same record twice to equal results', () => {
        const record = createRecord({ value: Buffer.from('[1,2]'), headers: { h: Buffer.from('{"x":1}') } });
        const parser = new KafkaParser();
        expect(parser.parse(record)).to.deep.equal(parser.parse(record));
      });
    });
  });
});
