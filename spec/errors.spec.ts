import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, RemoteError, RequestTimeoutError, RxKafkaError } from '../lib/errors';

/** The members of the `RxKafkaErrorCode` union, read from the source so a new code cannot skip the docs. */
function readDeclaredCodes(): string[] {
  const source = readFileSync(join(__dirname, '..', 'lib', 'errors.ts'), 'utf8');
  const union = /export type RxKafkaErrorCode\s*=([^;]+);/.exec(source);
  if (!union) throw new Error('lib/errors.ts no longer declares `export type RxKafkaErrorCode = ...;`');
  return [...union[1].matchAll(/'([A-Z0-9_]+)'/g)].map((match) => match[1]);
}

describe('errors', () => {
  describe('ERROR_CODES', () => {
    const declared = readDeclaredCodes();

    it('finds the codes of the RxKafkaErrorCode union in the source', () => {
      expect(declared).to.include('RXK_REQUEST_TIMEOUT');
      expect(new Set(declared).size).to.equal(declared.length);
    });

    it('documents every code of the union with a non-empty text', () => {
      for (const code of declared) {
        const text: unknown = (ERROR_CODES as Record<string, unknown>)[code];
        expect(text, code).to.be.a('string');
        expect((text as string).trim(), code).not.to.equal('');
      }
    });

    it('documents no code outside the union', () => {
      expect(Object.keys(ERROR_CODES).sort()).to.deep.equal([...declared].sort());
    });

    it('prefixes every code with RXK_', () => {
      for (const code of declared) expect(code).to.match(/^RXK_[A-Z0-9_]+$/);
    });

    it('is frozen', () => {
      expect(Object.isFrozen(ERROR_CODES)).to.equal(true);
    });

    it("lists every code once in the README's Errors table", () => {
      const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
      const section = /^## Errors\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme);
      expect(section, 'README.md has no "## Errors" section').not.to.equal(null);
      const listed = [...section![1].matchAll(/^\|\s*`(RXK_[A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]);
      expect([...listed].sort()).to.deep.equal([...declared].sort());
    });
  });

  describe('RxKafkaError', () => {
    it('carries its code, message, name and retriable flag', () => {
      const error = new RxKafkaError('RXK_NOT_CONNECTED', 'call connect() first', { retriable: true });
      expect(error).to.be.instanceOf(Error);
      expect(error.name).to.equal('RxKafkaError');
      expect(error.code).to.equal('RXK_NOT_CONNECTED');
      expect(error.message).to.equal('call connect() first');
      expect(error.retriable).to.equal(true);
    });

    it('is not retriable unless told', () => {
      expect(new RxKafkaError('RXK_INVALID_OPTIONS', 'bad').retriable).to.equal(false);
    });

    it('keeps the cause as a native cause, out of the context', () => {
      const cause = new Error('kafkajs failed');
      const error = new RxKafkaError('RXK_SEND_FAILED', 'produce failed', { cause, topic: 'hero.reply' });
      expect(error.cause).to.equal(cause);
      expect(error.context).to.deep.equal({ topic: 'hero.reply' });
    });

    it('has no cause property when none is given', () => {
      expect(new RxKafkaError('RXK_SEND_FAILED', 'produce failed')).not.to.have.property('cause');
    });

    it('freezes its context and keeps only the locating fields', () => {
      const options = {
        topic: 't',
        partition: 1,
        correlationId: 'c',
        state: 'connected',
        path: 'p',
        retriable: true,
      };
      const error = new RxKafkaError('RXK_NOT_CONNECTED', 'm', options);
      expect(error.context).to.deep.equal({
        topic: 't',
        partition: 1,
        correlationId: 'c',
        state: 'connected',
        path: 'p',
      });
      expect(Object.isFrozen(error.context)).to.equal(true);
      expect(() => {
        (error.context as { topic?: string }).topic = 'changed';
      }).to.throw(TypeError);
      options.topic = 'also changed';
      expect(error.context.topic).to.equal('t');
    });

    describe('.isRxKafkaError()', () => {
      it('recognizes an RxKafkaError and its subclasses', () => {
        expect(RxKafkaError.isRxKafkaError(new RxKafkaError('RXK_NOT_CONNECTED', 'm'))).to.equal(true);
        expect(RxKafkaError.isRxKafkaError(new RemoteError('boom'))).to.equal(true);
        expect(RxKafkaError.isRxKafkaError(new RequestTimeoutError('late', { timeoutMs: 1 }))).to.equal(true);
      });

      it('recognizes an error from another copy of rxkafka by its Symbol.for brand', () => {
        const foreign = Object.assign(new Error('from another install'), {
          [Symbol.for('rxkafka.error')]: true,
        });
        expect(RxKafkaError.isRxKafkaError(foreign)).to.equal(true);
      });

      it('rejects other values', () => {
        for (const value of [
          new Error('plain'),
          { code: 'RXK_NOT_CONNECTED' },
          null,
          undefined,
          'RXK_SEND_FAILED',
        ]) {
          expect(RxKafkaError.isRxKafkaError(value), String(value)).to.equal(false);
        }
      });
    });
  });

  describe('RequestTimeoutError', () => {
    it('is a retriable RXK_REQUEST_TIMEOUT carrying timeoutMs and its context', () => {
      const error = new RequestTimeoutError('no reply', {
        timeoutMs: 250,
        topic: 'hero.kill',
        correlationId: 'id-1',
      });
      expect(error).to.be.instanceOf(RxKafkaError);
      expect(error.name).to.equal('RequestTimeoutError');
      expect(error.code).to.equal('RXK_REQUEST_TIMEOUT');
      expect(error.retriable).to.equal(true);
      expect(error.timeoutMs).to.equal(250);
      expect(error.context).to.deep.equal({ topic: 'hero.kill', correlationId: 'id-1' });
    });
  });

  describe('RemoteError', () => {
    it('is an RXK_REMOTE_ERROR holding the response as received', () => {
      const response = { status: 'error', message: 'no dragons' };
      const error = new RemoteError(response, { correlationId: 'id-1', topic: 'hero.reply', partition: 0 });
      expect(error).to.be.instanceOf(RxKafkaError);
      expect(error.name).to.equal('RemoteError');
      expect(error.code).to.equal('RXK_REMOTE_ERROR');
      expect(error.retriable).to.equal(false);
      expect(error.response).to.equal(response);
      expect(error.context).to.deep.equal({ correlationId: 'id-1', topic: 'hero.reply', partition: 0 });
    });

    it('names the remote message: a string as is, an object by its message, anything else as JSON', () => {
      expect(new RemoteError('no matching handler').message).to.equal(
        'remote handler failed: no matching handler',
      );
      expect(new RemoteError({ message: 'no dragons', status: 'error' }).message).to.equal(
        'remote handler failed: no dragons',
      );
      expect(new RemoteError({ code: 42 }).message).to.equal('remote handler failed: {"code":42}');
      expect(new RemoteError(undefined).message).to.equal('remote handler failed: undefined');
    });
  });
});
