import { expect } from 'chai';
import { encodeWireValue, KafkaRequestSerializer } from '../../lib/wire/serializer';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

class Money {
  constructor(readonly cents: number) {}
  toString(): string {
    return `${this.cents / 100} EUR`;
  }
}

describe('KafkaRequestSerializer', () => {
  const serializer = new KafkaRequestSerializer();

  describe('.serialize()', () => {
    context('with a value that is not an envelope', () => {
      const rows: Array<[string, unknown, string | null]> = [
        ['the number 5', 5, '5'],
        ['the number 0', 0, '0'],
        ['a negative float', -1.5, '-1.5'],
        ['a string, raw and not JSON-quoted', 'hi', 'hi'],
        ['the empty string', '', ''],
        ['a JSON-looking string, untouched', '{"a":1}', '{"a":1}'],
        ['a plain object, as JSON', { a: 1 }, '{"a":1}'],
        ['a nested object, as JSON', { a: { b: [1, { c: null }] } }, '{"a":{"b":[1,{"c":null}]}}'],
        ['an array, as JSON', [1, 'two', { three: 3 }], '[1,"two",{"three":3}]'],
        ['an empty array', [], '[]'],
        ['undefined, as null', undefined, null],
        ['null, as null', null, null],
        ['true', true, 'true'],
        ['false', false, 'false'],
        ['a BigInt, via toString()', 12345678901234567890n, '12345678901234567890'],
        ['a class instance, as JSON (NestJS 11, not "[object Object]")', new Point(1, 2), '{"x":1,"y":2}'],
        ['a class with its own toString, via toString()', new Money(250), '2.5 EUR'],
        ['a Date, via Date.prototype.toString()', new Date(0), new Date(0).toString()],
        ['an object without prototype, as JSON', Object.assign(Object.create(null), { n: 1 }), '{"n":1}'],
        ['a Map (toString is Object.prototype.toString), as JSON', new Map([['a', 1]]), '{}'],
        ['an Error, via Error.prototype.toString()', new TypeError('boom'), 'TypeError: boom'],
        ['a plain object with its own toString, still as JSON', { a: 1, toString: () => 'x' }, '{"a":1}'],
      ];
      for (const [name, input, expected] of rows) {
        it(`encodes ${name}`, () => {
          expect(serializer.serialize(input)).to.deep.equal({ value: expected, headers: {} });
        });
      }

      it('passes a Buffer through as the same Buffer', () => {
        const bytes = Buffer.from([1, 2, 3]);
        expect(serializer.serialize(bytes).value).to.equal(bytes);
      });

      it('passes a 0x00-leading Buffer through untouched', () => {
        const avro = Buffer.from([0, 0, 0, 0, 7, 42]);
        const message = serializer.serialize(avro);
        expect(message.value).to.equal(avro);
        expect(message.value).to.deep.equal(Buffer.from([0, 0, 0, 0, 7, 42]));
      });

      it('adds no key, partition or timestamp', () => {
        expect(serializer.serialize({ a: 1 })).to.have.all.keys('value', 'headers');
      });
    });

    context('with an envelope (an object with a key or value property)', () => {
      it('encodes value and key and keeps the headers', () => {
        expect(serializer.serialize({ key: 'k1', value: { r: 1 }, headers: { h1: 'v' } })).to.deep.equal({
          key: 'k1',
          value: '{"r":1}',
          headers: { h1: 'v' },
        });
      });

      it('encodes a non-string key like a value', () => {
        expect(serializer.serialize({ key: 42, value: 'x' }).key).to.equal('42');
        expect(serializer.serialize({ key: { id: 1 }, value: 'x' }).key).to.equal('{"id":1}');
      });

      it('keeps a Buffer key as the same Buffer', () => {
        const key = Buffer.from('k');
        expect(serializer.serialize({ key, value: 'x' }).key).to.equal(key);
      });

      it('keeps a null key null and an undefined key undefined', () => {
        expect(serializer.serialize({ key: null, value: 1 })).to.deep.equal({
          key: null,
          value: '1',
          headers: {},
        });
        const message = serializer.serialize({ key: undefined, value: 1 });
        expect(message).to.have.property('key', undefined);
      });

      it('defaults missing or null headers to {}', () => {
        expect(serializer.serialize({ value: 1 }).headers).to.deep.equal({});
        expect(serializer.serialize({ value: 1, headers: null }).headers).to.deep.equal({});
      });

      it('keeps partition and timestamp', () => {
        expect(serializer.serialize({ value: 'v', partition: 3, timestamp: '1700000000000' })).to.deep.equal({
          value: 'v',
          headers: {},
          partition: 3,
          timestamp: '1700000000000',
        });
      });

      it('treats { time, value } as an envelope and sends only value (nestjs/nest#12886)', () => {
        expect(serializer.serialize({ time: 1, value: 12 })).to.deep.equal({ value: '12', headers: {} });
      });

      it('treats { key, name } as an envelope with a null value (nestjs/nest#12886)', () => {
        expect(serializer.serialize({ key: 'k', name: 'x' })).to.deep.equal({
          key: 'k',
          value: null,
          headers: {},
        });
      });

      it('recognises key and value inherited from a prototype', () => {
        class Envelope {
          get value(): string {
            return 'inherited';
          }
        }
        expect(serializer.serialize(new Envelope())).to.deep.equal({ value: 'inherited', headers: {} });
      });

      it('turns an undefined envelope value into null (a tombstone)', () => {
        expect(serializer.serialize({ key: 'k', value: undefined })).to.deep.equal({
          key: 'k',
          value: null,
          headers: {},
        });
      });
    });

    context('no-mutation guarantee (a deliberate difference from NestJS)', () => {
      it("returns a new object and leaves the caller's envelope as it was", () => {
        const headers = { h: 'v' };
        const envelope = { key: 7, value: { a: 1 }, headers };
        const message = serializer.serialize(envelope);
        expect(message).to.not.equal(envelope);
        expect(envelope).to.deep.equal({ key: 7, value: { a: 1 }, headers: { h: 'v' } });
      });

      it('copies the headers so later additions do not reach the caller', () => {
        const headers: Record<string, string> = { h: 'v' };
        const message = serializer.serialize({ value: 1, headers });
        message.headers.added = 'x';
        expect(message.headers).to.not.equal(headers);
        expect(headers).to.deep.equal({ h: 'v' });
      });

      it('adds no headers property to a caller envelope that had none', () => {
        const envelope: { value: number; headers?: unknown } = { value: 1 };
        serializer.serialize(envelope);
        expect(envelope).to.not.have.property('headers');
      });
    });

    it('throws what JSON.stringify throws for a cyclic object', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => serializer.serialize(cyclic)).to.throw(TypeError);
    });
  });
});

describe('encodeWireValue()', () => {
  it('returns null where JSON.stringify yields undefined', () => {
    expect(encodeWireValue({ toJSON: () => undefined })).to.equal(null);
  });

  it('uses toJSON for objects that define it', () => {
    expect(encodeWireValue({ toJSON: () => ({ shaped: true }) })).to.equal('{"shaped":true}');
  });

  it('encodes a typed array that is not a Buffer via toString()', () => {
    expect(encodeWireValue(new Uint8Array([1, 2, 3]))).to.equal('1,2,3');
  });
});
