import { expect } from 'chai';
import { Console } from 'node:console';
import { PassThrough, Writable } from 'node:stream';
import pino from 'pino';
import { fieldsFirstLogger, toLogger } from '../lib/logger';
import { resolveClientOptions } from '../lib/options/client-options';

/** A stream that keeps every chunk written to it, as text. */
function createCapture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** The JSON lines a pino logger wrote into a capture. */
function readPinoLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logger', () => {
  describe('toLogger()', () => {
    context('with a real pino logger', () => {
      it('writes the message as msg and every field as a top-level key', () => {
        const capture = createCapture();
        const logger = toLogger(pino({ level: 'debug' }, capture.stream));
        logger.info('consumer joined', { groupId: 'orders-server', partitions: [0, 1] });
        const [line] = readPinoLines(capture.text());
        expect(line).to.include({ msg: 'consumer joined', groupId: 'orders-server', level: 30 });
        expect(line.partitions).to.deep.equal([0, 1]);
      });

      it('maps each level to pino’s own', () => {
        const capture = createCapture();
        const logger = toLogger(pino({ level: 'debug' }, capture.stream));
        logger.debug('d', { n: 1 });
        logger.info('i', { n: 2 });
        logger.warn('w', { n: 3 });
        logger.error('e', { n: 4 });
        expect(readPinoLines(capture.text()).map((line) => [line.level, line.msg, line.n])).to.deep.equal([
          [20, 'd', 1],
          [30, 'i', 2],
          [40, 'w', 3],
          [50, 'e', 4],
        ]);
      });

      it('writes an Error field as its name, message and code instead of {}', () => {
        const capture = createCapture();
        const logger = toLogger(pino(capture.stream));
        const error = Object.assign(new TypeError('bad record'), { code: 'E_BAD' });
        logger.error('handler failed', { error, topic: 'orders' });
        const [line] = readPinoLines(capture.text());
        expect(line.error).to.deep.equal({ name: 'TypeError', message: 'bad record', code: 'E_BAD' });
        expect(line.topic).to.equal('orders');
      });

      it('recognises a pino child logger too, keeping its bindings', () => {
        const capture = createCapture();
        const child = pino(capture.stream).child({ service: 'heroes' });
        toLogger(child).warn('slow', { ms: 12 });
        expect(readPinoLines(capture.text())[0]).to.include({ service: 'heroes', msg: 'slow', ms: 12 });
      });

      it('is what the resolved options hold when a pino logger is given', () => {
        const capture = createCapture();
        const options = resolveClientOptions({ logger: pino(capture.stream) });
        options.logger.warn('through the options', { topic: 't' });
        expect(readPinoLines(capture.text())[0]).to.include({ msg: 'through the options', topic: 't' });
      });
    });

    context('with console', () => {
      it('prints the message and the fields', () => {
        const stdout = new PassThrough();
        let text = '';
        stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        const logger = toLogger(new Console({ stdout, stderr: stdout }));
        logger.warn('rebalancing', { groupId: 'g-1' });
        expect(text).to.contain('rebalancing');
        expect(text).to.contain("groupId: 'g-1'");
      });

      it('is kept as it is', () => {
        const logger = new Console({ stdout: new PassThrough() });
        expect(toLogger(logger)).to.equal(logger);
      });
    });
  });

  describe('fieldsFirstLogger()', () => {
    it('calls the target with the fields first and the message second', () => {
      const calls: unknown[][] = [];
      const logger = fieldsFirstLogger({
        debug: (...args) => calls.push(['debug', ...args]),
        info: (...args) => calls.push(['info', ...args]),
        warn: (...args) => calls.push(['warn', ...args]),
        error: (...args) => calls.push(['error', ...args]),
      });
      logger.info('hello', { a: 1 });
      logger.error('no fields');
      expect(calls).to.deep.equal([
        ['info', { a: 1 }, 'hello'],
        ['error', {}, 'no fields'],
      ]);
    });

    it('is not adapted a second time by toLogger()', () => {
      const adapted = fieldsFirstLogger(pino(createCapture().stream));
      expect(toLogger(adapted)).to.equal(adapted);
    });
  });
});
