import { expect } from 'chai';
import { NEVER, of, Subject } from 'rxjs';
import { RxKafkaError } from '../../lib/errors';
import { KafkaRetriableException } from '../../lib/handlers/rpc-exception';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import { EventPath } from '../../lib/pipeline/event-path';
import { FailurePolicy, type FailurePolicyOptions } from '../../lib/pipeline/failure-policy';
import { RecordingLogger } from '../support/recording-logger';
import {
  createContext,
  createHandler,
  createRawRecord,
  FakeProduceQueue,
  settle,
  type FakeHandler,
} from '../support/pipeline-fakes';

interface Setup {
  readonly path: EventPath;
  readonly queue: FakeProduceQueue;
  readonly logger: RecordingLogger;
}

function createPath(
  settings: Partial<Pick<FailurePolicyOptions, 'deadLetter' | 'handlerTimeoutMs'>> = {},
): Setup {
  const queue = new FakeProduceQueue();
  const logger = new RecordingLogger();
  const failures = new FailurePolicy({
    retry: { attempts: 3, backoffMs: 0, maxBackoffMs: 0 },
    deadLetter: settings.deadLetter ?? false,
    handlerTimeoutMs: settings.handlerTimeoutMs ?? 0,
    produceQueue: queue.asProduceQueue(),
    logger,
  });
  return { path: new EventPath({ failures, logger }), queue, logger };
}

const record = createRawRecord('hero.killed', '{"hero":"x"}');

function handle(setup: Setup, handlers: readonly FakeHandler[]): void | Promise<void> {
  return setup.path.handle(handlers, { hero: 'x' }, createContext(record), record);
}

/** A handler that fails with KafkaRetriableException on every run. */
function alwaysRetriable(method = 'poison', options = {}): FakeHandler {
  return createHandler(
    () => {
      throw new KafkaRetriableException('still broken');
    },
    { kind: 'event', method, options },
  );
}

async function rejectionOf(work: unknown): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('EventPath', () => {
  describe('.handle()', () => {
    context('with one handler that returns a plain value', () => {
      it('runs it with the payload and context, and returns nothing to wait for', () => {
        const setup = createPath();
        const seen: unknown[] = [];
        const handler = createHandler(
          (payload, context) => void seen.push(payload, context.getTopic(), context.getMessage().offset),
          { kind: 'event' },
        );
        expect(handle(setup, [handler])).to.equal(undefined);
        expect(seen).to.deep.equal([{ hero: 'x' }, 'hero.killed', '41']);
        expect(handler.runs).to.equal(1);
        expect(setup.path.failed).to.equal(0);
      });
    });

    context('with one handler that returns a Promise or an Observable', () => {
      it('settles once the Promise resolves', async () => {
        const setup = createPath();
        let resolve: () => void = () => undefined;
        const handled = handle(setup, [
          createHandler(() => new Promise<void>((done) => (resolve = done)), { kind: 'event' }),
        ]);
        let settled = false;
        void Promise.resolve(handled).then(() => (settled = true));
        await settle();
        expect(settled).to.equal(false);
        resolve();
        await handled;
        expect(settled).to.equal(true);
      });

      it('settles once the Observable completes, not at its first value', async () => {
        const setup = createPath();
        const values = new Subject<number>();
        const handled = handle(setup, [createHandler(() => values, { kind: 'event' })]);
        let settled = false;
        void Promise.resolve(handled).then(() => (settled = true));
        values.next(1);
        await settle();
        expect(settled).to.equal(false);
        values.complete();
        await handled;
        expect(settled).to.equal(true);
      });

      it('waits for an Observable a Promise resolves to, and takes an empty one', async () => {
        const setup = createPath();
        const values = new Subject<number>();
        const handled = handle(setup, [createHandler(async () => values, { kind: 'event' })]);
        let settled = false;
        void Promise.resolve(handled).then(() => (settled = true));
        await settle();
        expect(settled).to.equal(false);
        values.complete();
        await handled;
        await handle(setup, [createHandler(() => of(), { kind: 'event' })]);
        expect(setup.path.failed).to.equal(0);
      });
    });

    context('with several handlers', () => {
      it('runs them all at once and settles when the last one does', async () => {
        const setup = createPath();
        const started: string[] = [];
        const finish: Array<() => void> = [];
        const waiting = (name: string): FakeHandler =>
          createHandler(
            () => {
              started.push(name);
              return new Promise<void>((done) => finish.push(done));
            },
            { kind: 'event', method: name },
          );
        const handled = handle(setup, [waiting('first'), waiting('second')]);
        await settle();
        expect(started).to.deep.equal(['first', 'second']);
        let settled = false;
        void Promise.resolve(handled).then(() => (settled = true));
        finish[0]();
        await settle();
        expect(settled).to.equal(false);
        finish[1]();
        await handled;
        expect(settled).to.equal(true);
      });

      it('lets the others finish when one fails, and dead-letters only the one that failed', async () => {
        const setup = createPath();
        const healthy = createHandler(() => undefined, { kind: 'event', method: 'healthy' });
        await handle(setup, [alwaysRetriable('poison', { deadLetter: true }), healthy]);
        expect(healthy.runs).to.equal(1);
        expect(setup.path.failed).to.equal(1);
        expect(setup.queue.sends.map(({ topic }) => topic)).to.deep.equal(['hero.killed.dlt']);
        expect(setup.queue.sends[0].records[0].headers).to.include({
          [DeadLetterHeaders.HANDLER]: 'SpecController.poison',
        });
      });
    });

    context('when a handler fails for good', () => {
      it('logs it and settles, so a failed event never stalls its partition', async () => {
        const setup = createPath();
        const failure = new Error('event handler failed');
        const handler = createHandler(
          () => {
            throw failure;
          },
          { kind: 'event', method: 'broken' },
        );
        await handle(setup, [handler]);
        expect(handler.runs).to.equal(1);
        expect(setup.path.failed).to.equal(1);
        const [line] = setup.logger.find(
          'error',
          'SpecController.broken failed after 1 attempt(s); the event is skipped',
        );
        expect(line.fields).to.include({ topic: 'hero.killed', partition: 3, offset: '41', error: failure });
        expect(setup.queue.sends).to.deep.equal([]);
      });

      it('settles the same way for a rejected Promise', async () => {
        const setup = createPath();
        await handle(setup, [createHandler(() => Promise.reject(new Error('nope')), { kind: 'event' })]);
        expect(setup.path.failed).to.equal(1);
      });

      it('settles the same way for an Observable that errors', async () => {
        const setup = createPath();
        const values = new Subject<number>();
        const handled = handle(setup, [createHandler(() => values, { kind: 'event' })]);
        values.error(new Error('stream broke'));
        await handled;
        expect(setup.path.failed).to.equal(1);
      });

      it("writes a dead letter to the server's topic when the handler sets none", async () => {
        const setup = createPath({ deadLetter: (topic) => `${topic}.server-dlt` });
        await handle(setup, [
          createHandler(() => Promise.reject(new Error('nope')), { kind: 'event', method: 'broken' }),
        ]);
        expect(setup.queue.sends.map(({ topic }) => topic)).to.deep.equal(['hero.killed.server-dlt']);
        expect(setup.queue.sends[0].records[0].headers).to.include({
          [DeadLetterHeaders.ATTEMPTS]: '1',
          [DeadLetterHeaders.EXCEPTION_MESSAGE]: 'nope',
        });
      });

      it('rejects when the dead letter cannot be written, so the record is not committed', async () => {
        const setup = createPath({ deadLetter: () => 'missing.dlt' });
        const refused = new Error('UNKNOWN_TOPIC_OR_PARTITION');
        setup.queue.failure = () => refused;
        expect(await rejectionOf(handle(setup, [alwaysRetriable()]))).to.equal(refused);
      });
    });

    context('when a handler throws a KafkaRetriableException', () => {
      it('runs it up to the attempts of its retry policy, then dead-letters it with the count', async () => {
        const setup = createPath();
        const handler = alwaysRetriable('poison', { deadLetter: true });
        await handle(setup, [handler]);
        expect(handler.runs).to.equal(3);
        expect(setup.logger.find('error', 'SpecController.poison failed after 3 attempt(s)')).to.have.length(
          1,
        );
        expect(setup.queue.sends[0].records[0].headers).to.include({
          [DeadLetterHeaders.ATTEMPTS]: '3',
          [DeadLetterHeaders.EXCEPTION_FQCN]: 'KafkaRetriableException',
        });
      });

      it('stops retrying at the first attempt that succeeds', async () => {
        const setup = createPath();
        const handler: FakeHandler = createHandler(
          async () => {
            if (handler.runs < 2) throw new KafkaRetriableException('busy');
          },
          { kind: 'event' },
        );
        await handle(setup, [handler]);
        expect(handler.runs).to.equal(2);
        expect(setup.path.failed).to.equal(0);
      });

      it("follows the handler's own attempts", async () => {
        const setup = createPath();
        const handler = alwaysRetriable('poison', { retry: { attempts: 2 } });
        await handle(setup, [handler]);
        expect(handler.runs).to.equal(2);
      });

      it('retries each of several handlers on its own', async () => {
        const setup = createPath();
        const first = alwaysRetriable('first', { retry: { attempts: 2 } });
        const second = alwaysRetriable('second', { retry: { attempts: 4 } });
        await handle(setup, [first, second]);
        expect([first.runs, second.runs]).to.deep.equal([2, 4]);
        expect(setup.path.failed).to.equal(2);
      });
    });

    context('when a handler stays silent for handlerTimeoutMs', () => {
      it('cuts off a pending Promise with RXK_HANDLER_TIMEOUT and skips the event', async () => {
        const setup = createPath({ handlerTimeoutMs: 3 });
        await handle(setup, [
          createHandler(() => new Promise(() => undefined), { kind: 'event', method: 'stuck' }),
        ]);
        expect(setup.path.failed).to.equal(1);
        const [line] = setup.logger.find('error', 'SpecController.stuck failed');
        expect((line.fields.error as RxKafkaError).code).to.equal('RXK_HANDLER_TIMEOUT');
      });

      it('cuts off a silent Observable the same way', async () => {
        const setup = createPath({ handlerTimeoutMs: 3 });
        await handle(setup, [createHandler(() => NEVER, { kind: 'event', method: 'stuck' })]);
        expect(setup.path.failed).to.equal(1);
        const [line] = setup.logger.find('error', 'SpecController.stuck failed');
        expect((line.fields.error as RxKafkaError).code).to.equal('RXK_HANDLER_TIMEOUT');
      });
    });
  });
});
