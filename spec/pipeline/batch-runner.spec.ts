import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { BatchRunner } from '../../lib/pipeline/batch-runner';
import type { BatchRunnerOptions } from '../../lib/pipeline/batch-runner-options';
import type { RawKafkaRecord } from '../../lib/wire/parser';
import type { DrainMode } from '../../lib/connection/connection-events';
import type { DispatchMode } from '../../lib/connection/kafka-connection';
import { RxKafkaError } from '../../lib/errors';
import { silentLogger } from '../../lib/logger';
import { ConsumerOffsets } from '../../lib/offsets/consumer-offsets';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function createDeferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run (ordering, not timing). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A handler whose records finish only when the spec says so. */
class ControlledHandler {
  readonly started: string[] = [];
  readonly heartbeats: Array<() => Promise<void>> = [];
  readonly #work = new Map<string, Deferred>();
  readonly #starts = new Map<string, Deferred>();
  #running = 0;
  maxRunning = 0;

  readonly handle = (record: RawKafkaRecord, heartbeat: () => Promise<void>): Promise<void> => {
    this.started.push(record.offset);
    this.heartbeats.push(heartbeat);
    this.#running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.#running);
    this.#deferred(this.#starts, record.offset).resolve();
    return this.#deferred(this.#work, record.offset).promise.finally(() => (this.#running -= 1));
  };

  whenStarted(offset: string): Promise<void> {
    return this.#deferred(this.#starts, offset).promise;
  }

  async finish(offset: string): Promise<void> {
    this.#deferred(this.#work, offset).resolve();
    await settle();
  }

  async fail(offset: string, error: unknown): Promise<void> {
    this.#deferred(this.#work, offset).reject(error);
    await settle();
  }

  #deferred(map: Map<string, Deferred>, offset: string): Deferred {
    let deferred = map.get(offset);
    if (!deferred) {
      deferred = createDeferred();
      map.set(offset, deferred);
    }
    return deferred;
  }
}

interface FakeBatch {
  readonly payload: EachBatchPayload;
  readonly resolved: string[];
  heartbeats: number;
  running: boolean;
  stale: boolean;
}

function createMessage(offset: string, key: string | null = null): KafkaMessage {
  const message: KafkaMessage = {
    offset,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(`value-${offset}`),
    timestamp: '1700000000000',
    attributes: 0,
    headers: { trace: Buffer.from(offset) },
  };
  return message;
}

function createBatch(messages: KafkaMessage[], topic = 'heroes', partition = 3): FakeBatch {
  const fake: FakeBatch = {
    resolved: [],
    heartbeats: 0,
    running: true,
    stale: false,
    payload: undefined as unknown as EachBatchPayload,
  };
  const payload = {
    batch: {
      topic,
      partition,
      highWatermark: '100',
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => messages[messages.length - 1]?.offset ?? '-1',
      offsetLag: () => '0',
      offsetLagLow: () => '0',
    },
    resolveOffset: (offset: string) => {
      fake.resolved.push(offset);
    },
    heartbeat: async () => {
      fake.heartbeats += 1;
    },
    pause: () => () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => fake.running,
    isStale: () => fake.stale,
  } as unknown as EachBatchPayload;
  return Object.assign(fake, { payload });
}

/** Each runner's dispatch mode, which the connection's machine would set: the specs set it themselves. */
const dispatchModes = new WeakMap<BatchRunner, { mode: DispatchMode }>();

function createRunner(
  handle: BatchRunnerOptions['handle'],
  ordering: 'partition' | 'key' = 'partition',
  maxInFlightPerPartition = 10,
): BatchRunner {
  const dispatch: { mode: DispatchMode } = { mode: 'running' };
  const runner = new BatchRunner({
    ordering,
    maxInFlightPerPartition,
    handle,
    dispatchMode: () => dispatch.mode,
    offsets: new ConsumerOffsets({ logger: silentLogger, clientId: 'spec', autoCommit: false }),
  });
  dispatchModes.set(runner, dispatch);
  return runner;
}

/**
 * What the connection's machine does to the runner on close(): it leaves 'running' (draining.finishing, or
 * draining.abandoning, whose entry calls abandon()), and drainKafka waits for finish().
 */
async function stopRunner(runner: BatchRunner, mode: DrainMode): Promise<void> {
  const dispatch = dispatchModes.get(runner);
  if (!dispatch) throw new Error('not a runner of createRunner()');
  const wasAbandoning = dispatch.mode === 'abandon';
  dispatch.mode = mode;
  if (mode === 'abandon' && !wasAbandoning) runner.abandon();
  await runner.finish();
}

async function catchError(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('BatchRunner', () => {
  describe('.eachBatch() with ordering "partition"', () => {
    it('hands each record with its topic and partition to the handler', async () => {
      const records: RawKafkaRecord[] = [];
      const runner = createRunner(async (record) => {
        records.push(record);
      });
      const fake = createBatch([createMessage('5', 'k')], 'villains', 2);
      await runner.eachBatch(fake.payload);
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ topic: 'villains', partition: 2, offset: '5' });
      expect(records[0].key).to.deep.equal(Buffer.from('k'));
      expect(records[0].headers).to.deep.equal({ trace: Buffer.from('5') });
    });

    it('handles records one at a time in offset order, resolving each after its handler resolved', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'b'), createMessage('2', 'c')]);
      const run = runner.eachBatch(fake.payload);

      await handler.whenStarted('0');
      await settle();
      expect(handler.started).to.deep.equal(['0']);
      expect(fake.resolved).to.deep.equal([]);

      await handler.finish('0');
      expect(fake.resolved).to.deep.equal(['0']);
      expect(handler.started).to.deep.equal(['0', '1']);

      await handler.finish('1');
      await handler.finish('2');
      await run;
      expect(fake.resolved).to.deep.equal(['0', '1', '2']);
      expect(handler.maxRunning).to.equal(1);
      expect(runner.stats).to.deep.equal({ finished: 3, abandoned: 0 });
    });

    it('gives the handler the batch heartbeat and beats once the batch is done', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const fake = createBatch([createMessage('0'), createMessage('1')]);
      const run = runner.eachBatch(fake.payload);
      await handler.finish('0');
      await handler.finish('1');
      await run;
      expect(handler.heartbeats).to.deep.equal([fake.payload.heartbeat, fake.payload.heartbeat]);
      // Between records it beats at most once a second (kafkajs beats between batches too).
      expect(fake.heartbeats).to.be.at.least(1);
    });

    it('stops at a rejecting handler, leaves later offsets unresolved and rejects so kafkajs redelivers', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const fake = createBatch([createMessage('0'), createMessage('1'), createMessage('2')]);
      const outcome = catchError(runner.eachBatch(fake.payload));
      const error = new Error('reply could not be produced');

      await handler.finish('0');
      await handler.fail('1', error);

      expect(await outcome).to.equal(error);
      expect(fake.resolved).to.deep.equal(['0']);
      expect(handler.started).to.deep.equal(['0', '1']);
      expect(runner.stats.finished).to.equal(1);
    });

    it('stops dispatching when kafkajs stops running or the partition was seeked', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const stopped = createBatch([createMessage('0'), createMessage('1')]);
      const run = runner.eachBatch(stopped.payload);
      stopped.running = false;
      await handler.finish('0');
      await run;
      expect(stopped.resolved).to.deep.equal(['0']);

      const seeked = createBatch([createMessage('7'), createMessage('8')]);
      const seekedRun = runner.eachBatch(seeked.payload);
      seeked.stale = true;
      await handler.finish('7');
      await seekedRun;
      expect(seeked.resolved).to.deep.equal(['7']);
      expect(handler.started).to.deep.equal(['0', '7']);
    });
  });

  describe('.eachBatch() with ordering "key"', () => {
    it('runs records with different keys at the same time', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'b')]);
      const run = runner.eachBatch(fake.payload);

      await Promise.all([handler.whenStarted('0'), handler.whenStarted('1')]);
      expect(handler.maxRunning).to.equal(2);

      await handler.finish('0');
      // The finished prefix is resolved once a turn (records of different keys finish in bursts): one turn
      // passes here, so that '0' is resolved on its own before '1' finishes.
      await settle();
      await handler.finish('1');
      await run;
      expect(fake.resolved).to.deep.equal(['0', '1']);
      expect(runner.stats.finished).to.equal(2);
    });

    it('runs records with the same key strictly one after the other', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'b'), createMessage('2', 'a')]);
      const run = runner.eachBatch(fake.payload);

      await Promise.all([handler.whenStarted('0'), handler.whenStarted('1')]);
      await settle();
      expect(handler.started).to.deep.equal(['0', '1']);

      await handler.finish('0');
      expect(handler.started).to.deep.equal(['0', '1', '2']);
      await handler.finish('2');
      await handler.finish('1');
      await run;
      expect(fake.resolved.at(-1)).to.equal('2');
    });

    it('keeps records without a key in order, as if they shared one', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0'), createMessage('1')]);
      const run = runner.eachBatch(fake.payload);

      await handler.whenStarted('0');
      await settle();
      expect(handler.started).to.deep.equal(['0']);
      await handler.finish('0');
      await handler.finish('1');
      await run;
      expect(handler.started).to.deep.equal(['0', '1']);
    });

    it('resolves only the contiguous finished prefix', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('1', 'a'), createMessage('2', 'b'), createMessage('3', 'c')]);
      const run = runner.eachBatch(fake.payload);
      await Promise.all(['1', '2', '3'].map((offset) => handler.whenStarted(offset)));

      await handler.finish('2');
      expect(fake.resolved).to.deep.equal([]);
      expect(runner.stats.finished).to.equal(0);

      await handler.finish('1');
      expect(fake.resolved).to.deep.equal(['2']);
      expect(runner.stats.finished).to.equal(2);

      await handler.finish('3');
      await run;
      expect(fake.resolved).to.deep.equal(['2', '3']);
      expect(runner.stats.finished).to.equal(3);
    });

    it('keeps at most maxInFlightPerPartition records in flight', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key', 2);
      const messages = ['0', '1', '2', '3'].map((offset) => createMessage(offset, `key-${offset}`));
      const fake = createBatch(messages);
      const run = runner.eachBatch(fake.payload);

      await Promise.all([handler.whenStarted('0'), handler.whenStarted('1')]);
      await settle();
      expect(handler.started).to.deep.equal(['0', '1']);

      await handler.finish('1');
      expect(handler.started).to.deep.equal(['0', '1', '2']);
      await handler.finish('0');
      await handler.finish('2');
      await handler.finish('3');
      await run;
      expect(handler.maxRunning).to.equal(2);
      expect(fake.resolved.at(-1)).to.equal('3');
    });

    it('does not let a record waiting for its key take a slot from another key', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key', 2);
      const fake = createBatch([
        createMessage('0', 'hot'),
        createMessage('1', 'hot'),
        createMessage('2', 'cold'),
      ]);
      const run = runner.eachBatch(fake.payload);

      await Promise.all([handler.whenStarted('0'), handler.whenStarted('2')]);
      expect(handler.started).to.deep.equal(['0', '2']);

      await handler.finish('0');
      await handler.finish('1');
      await handler.finish('2');
      await run;
      expect(fake.resolved.at(-1)).to.equal('2');
    });

    it('beats once the batch is done, not while handlers run', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'b')]);
      const run = runner.eachBatch(fake.payload);
      await Promise.all([handler.whenStarted('0'), handler.whenStarted('1')]);
      expect(fake.heartbeats).to.equal(0);
      await handler.finish('1');
      await handler.finish('0');
      await run;
      expect(fake.heartbeats).to.be.at.least(1);
    });

    it('keeps handling the next record while an earlier one waits for its acknowledgement', async () => {
      const acks: Array<() => void> = [];
      const started: string[] = [];
      const runner = createRunner(async (record) => {
        started.push(record.offset);
        return { acked: new Promise<void>((resolve) => acks.push(resolve)) };
      });
      const fake = createBatch([createMessage('0'), createMessage('1'), createMessage('2')]);
      const run = runner.eachBatch(fake.payload);
      while (started.length < 3) await new Promise((resolve) => setImmediate(resolve));
      expect(fake.resolved).to.deep.equal([]);
      acks[1]();
      await new Promise((resolve) => setImmediate(resolve));
      expect(fake.resolved, 'offset 1 waits for offset 0').to.deep.equal([]);
      acks[0]();
      acks[2]();
      await run;
      expect(fake.resolved.at(-1)).to.equal('2');
      expect(runner.stats.finished).to.equal(3);
    });

    it('rejects when a heartbeat fails (a rebalance), after resolving the finished record', async () => {
      const runner = createRunner(async () => undefined, 'key');
      const fake = createBatch([createMessage('0', 'a')]);
      const error = new Error('The group is rebalancing');
      const payload = { ...fake.payload, heartbeat: () => Promise.reject(error) };
      expect(await catchError(runner.eachBatch(payload))).to.equal(error);
      expect(fake.resolved).to.deep.equal(['0']);
    });

    it('on a heartbeat failing mid-batch, starts nothing more, waits for the replies in flight, then rejects', async function () {
      this.timeout(10_000);
      const error = new Error('The group is rebalancing');
      let ack!: () => void;
      const started: string[] = [];
      const runner = createRunner(async (record) => {
        started.push(record.offset);
        // Long enough for the batch runner's own heartbeat to fall due after this record.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        return { acked: new Promise<void>((resolve) => (ack = resolve)) };
      });
      const fake = createBatch([createMessage('0'), createMessage('1')]);
      const payload = { ...fake.payload, heartbeat: () => Promise.reject(error) };
      let outcome: unknown = 'pending';
      const run = runner.eachBatch(payload).then(
        () => (outcome = 'resolved'),
        (caught: unknown) => (outcome = caught),
      );
      while (!ack) await new Promise((resolve) => setTimeout(resolve, 20));
      await settle();
      expect(started, 'no record starts after the failed heartbeat').to.deep.equal(['0']);
      expect(outcome, 'the batch waits for the reply in flight').to.equal('pending');
      ack();
      await run;
      expect(outcome).to.equal(error);
      expect(fake.resolved, 'the acknowledged record is resolved before the batch returns').to.deep.equal([
        '0',
      ]);
    });

    it('rejects with the first handler error and resolves nothing past the failed record', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'b'), createMessage('2', 'c')]);
      const outcome = catchError(runner.eachBatch(fake.payload));
      const error = new Error('redeliver me');
      await Promise.all(['0', '1', '2'].map((offset) => handler.whenStarted(offset)));

      await handler.finish('0');
      await handler.finish('2');
      await handler.fail('1', error);

      expect(await outcome).to.equal(error);
      expect(fake.resolved).to.deep.equal(['0']);
    });

    it('does not start a record queued behind its key once the batch must stop', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'a')]);
      const run = runner.eachBatch(fake.payload);
      await handler.whenStarted('0');
      await settle();

      const stopped = stopRunner(runner, 'drain');
      await handler.finish('0');
      await stopped;
      await run;
      expect(handler.started).to.deep.equal(['0']);
      expect(fake.resolved).to.deep.equal(['0']);
    });
  });

  describe('.finish() and .abandon(), as the connection machine calls them on close()', () => {
    it("'drain' waits for the running handler, resolves its offset and starts no other record", async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const fake = createBatch([createMessage('0'), createMessage('1')]);
      const run = runner.eachBatch(fake.payload);
      await handler.whenStarted('0');

      let stopped = false;
      const stopping = stopRunner(runner, 'drain').then(() => (stopped = true));
      await settle();
      expect(stopped).to.equal(false);

      await handler.finish('0');
      await stopping;
      await run;
      expect(fake.resolved).to.deep.equal(['0']);
      expect(handler.started).to.deep.equal(['0']);
      expect(runner.stats).to.deep.equal({ finished: 1, abandoned: 0 });
    });

    it('ignores batches that arrive once the dispatch mode left running: no handler, no resolveOffset', async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      await stopRunner(runner, 'drain');
      const fake = createBatch([createMessage('0')]);
      await runner.eachBatch(fake.payload);
      expect(handler.started).to.deep.equal([]);
      expect(fake.resolved).to.deep.equal([]);
    });

    it("'abandon' returns without waiting for a hung handler and leaves its offset unresolved", async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const fake = createBatch([createMessage('0'), createMessage('1')]);
      const run = runner.eachBatch(fake.payload);
      await handler.whenStarted('0');

      await stopRunner(runner, 'abandon');
      await run;
      expect(runner.stats).to.deep.equal({ finished: 0, abandoned: 1 });

      await handler.finish('0');
      expect(fake.resolved).to.deep.equal([]);
      expect(handler.started).to.deep.equal(['0']);
      expect(runner.stats).to.deep.equal({ finished: 0, abandoned: 1 });
    });

    it("'abandon' counts every running handler of a key-ordered batch", async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle, 'key');
      const fake = createBatch([createMessage('0', 'a'), createMessage('1', 'b'), createMessage('2', 'a')]);
      const run = runner.eachBatch(fake.payload);
      await Promise.all([handler.whenStarted('0'), handler.whenStarted('1')]);

      await stopRunner(runner, 'abandon');
      await run;
      await handler.finish('1');
      await handler.finish('0');
      expect(fake.resolved).to.deep.equal([]);
      expect(handler.started).to.deep.equal(['0', '1']);
      expect(runner.stats).to.deep.equal({ finished: 0, abandoned: 2 });
    });

    it("'abandon' after 'drain' stops waiting for the hung handler", async () => {
      const handler = new ControlledHandler();
      const runner = createRunner(handler.handle);
      const fake = createBatch([createMessage('0')]);
      const run = runner.eachBatch(fake.payload);
      await handler.whenStarted('0');

      const draining = stopRunner(runner, 'drain');
      await stopRunner(runner, 'abandon');
      await draining;
      await run;
      expect(runner.stats.abandoned).to.equal(1);
    });
  });

  describe('after close()', () => {
    it('accepts batches again once the dispatch mode is running again (a connect() after close())', async () => {
      const handled: string[] = [];
      const runner = createRunner(async (record) => {
        handled.push(record.offset);
      });
      await stopRunner(runner, 'abandon');
      dispatchModes.get(runner)!.mode = 'running';
      const fake = createBatch([createMessage('4')]);
      await runner.eachBatch(fake.payload);
      expect(handled).to.deep.equal(['4']);
      expect(fake.resolved).to.deep.equal(['4']);
    });
  });

  describe('memory', () => {
    // Live heap after a full GC; the flag can be turned on at run time, and `gc` read from a fresh context.
    function liveHeapBytes(): number {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    }

    it('keeps nothing per batch once batches are done (20,000 batches)', async function () {
      this.timeout(60_000);
      const runner = createRunner(() => undefined);
      const runBatches = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++)
          await runner.eachBatch(createBatch([createMessage(String(i))]).payload);
      };
      await runBatches(2_000); // warm up: compiled code, caches
      const before = liveHeapBytes();
      await runBatches(20_000);
      const grownBytes = liveHeapBytes() - before;
      // A leak of one promise reaction and closure per batch (a race against a long-lived promise) grew it
      // by about 3 MB here; what is left is measurement noise.
      expect(grownBytes, `live heap grew by ${grownBytes} bytes`).to.be.below(1_000_000);
    });
  });

  describe('.eachBatch() with detach', () => {
    interface DetachProbe {
      readonly runner: BatchRunner;
      /** The consumer's offsets the runner holds commits back in (the connection's, in production). */
      readonly offsets: ConsumerOffsets;
      readonly seeks: Array<[string, number, string]>;
      commitRequests: number;
    }

    /** A runner whose handler answers each offset's record with the ack promise `acks` names (else acked). */
    function createDetachingRunner(acks: Map<string, Promise<void>>, afterMs = 20): DetachProbe {
      const probe = { seeks: [], commitRequests: 0 } as unknown as DetachProbe & { runner: BatchRunner };
      const dispatch: { mode: DispatchMode } = { mode: 'running' };
      const offsets = new ConsumerOffsets({ logger: silentLogger, clientId: 'spec', autoCommit: false });
      offsets.requestCommit = () => (probe.commitRequests += 1);
      const runner = new BatchRunner({
        ordering: 'partition',
        maxInFlightPerPartition: 10,
        handle: (record) => ({ acked: acks.get(record.offset) ?? Promise.resolve() }),
        dispatchMode: () => dispatch.mode,
        offsets,
        detach: {
          seek: (topic, partition, offset) => probe.seeks.push([topic, partition, offset]),
          logger: silentLogger,
          afterMs,
        },
      });
      dispatchModes.set(runner, dispatch);
      return Object.assign(probe, { runner, offsets });
    }

    it('returns a batch whose reply is still due, past it for fetching, holding commits at that record', async () => {
      const reply = createDeferred();
      const probe = createDetachingRunner(new Map([['1', reply.promise]]));
      const { runner, seeks, offsets } = probe;
      const fake = createBatch([createMessage('0'), createMessage('1'), createMessage('2')]);
      await runner.eachBatch(fake.payload);
      expect(fake.resolved).to.deep.equal(['0', '2']);
      expect(offsets.holds.floorOf('heroes', 3)).to.equal('1');
      expect(runner.stats.finished).to.equal(1);

      reply.resolve();
      await settle();
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);
      expect(runner.stats.finished).to.equal(3);
      expect(probe.commitRequests).to.be.at.least(1);
      expect(fake.resolved, 'kafkajs’s position is not moved back').to.deep.equal(['0', '2']);
      expect(seeks).to.deep.equal([]);
    });

    it('returns as without detach when the replies are acknowledged within afterMs', async () => {
      const reply = createDeferred();
      const { runner, offsets } = createDetachingRunner(new Map([['1', reply.promise]]), 5_000);
      const fake = createBatch([createMessage('0'), createMessage('1')]);
      const run = runner.eachBatch(fake.payload);
      await settle();
      reply.resolve();
      await run;
      expect(fake.resolved).to.deep.equal(['0', '1']);
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);
    });

    it('sends the partition back to the record whose reply failed after the batch returned', async () => {
      const reply = createDeferred();
      const acks = new Map([['6', reply.promise]]);
      const { runner, seeks, offsets } = createDetachingRunner(acks);
      await runner.eachBatch(
        createBatch([createMessage('5'), createMessage('6'), createMessage('7')]).payload,
      );
      reply.reject(new RxKafkaError('RXK_SEND_FAILED', 'brokers unreachable', { retriable: true }));
      await settle();
      expect(seeks).to.deep.equal([['heroes', 3, '6']]);
      // Until the records come again, commits stay at the failed one, whatever kafkajs resolved.
      expect(offsets.holds.floorOf('heroes', 3)).to.equal('6');
      acks.delete('6');
      await runner.eachBatch(createBatch([createMessage('6'), createMessage('7')]).payload);
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);
    });

    it('keeps a later batch’s hold apart from an earlier one: the floor is the lowest', async () => {
      const first = createDeferred();
      const second = createDeferred();
      const { runner, offsets } = createDetachingRunner(
        new Map([
          ['1', first.promise],
          ['4', second.promise],
        ]),
      );
      await runner.eachBatch(createBatch([createMessage('0'), createMessage('1')]).payload);
      await runner.eachBatch(createBatch([createMessage('3'), createMessage('4')]).payload);
      expect(offsets.holds.floorOf('heroes', 3)).to.equal('1');
      first.resolve();
      await settle();
      expect(offsets.holds.floorOf('heroes', 3)).to.equal('4');
      second.resolve();
      await settle();
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);
    });

    it('waits in finish() for the replies of returned batches, unless abandon() comes first', async () => {
      const reply = createDeferred();
      const { runner, offsets } = createDetachingRunner(new Map([['0', reply.promise]]));
      await runner.eachBatch(createBatch([createMessage('0')]).payload);
      let finished = false;
      const draining = stopRunner(runner, 'drain').then(() => (finished = true));
      await settle();
      expect(finished).to.equal(false);
      reply.resolve();
      await draining;
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);

      const stuck = createDeferred();
      const abandoning = createDetachingRunner(new Map([['0', stuck.promise]]));
      await abandoning.runner.eachBatch(createBatch([createMessage('0')]).payload);
      await stopRunner(abandoning.runner, 'abandon');
      expect(abandoning.offsets.holds.floorOf('heroes', 3), 'an abandoned reply stays uncommitted').to.equal(
        '0',
      );
    });

    it('voids every hold on a new group generation: kafkajs fetches from the committed offset again', async () => {
      const reply = createDeferred();
      const { runner, offsets } = createDetachingRunner(new Map([['2', reply.promise]]));
      await runner.eachBatch(createBatch([createMessage('2')]).payload);
      // What the connection does on a group join: the offsets owner voids the holds, the runner its slots.
      offsets.regroup();
      runner.regroup();
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);
      reply.reject(new Error('too late'));
      await settle();
      expect(offsets.holds.floorOf('heroes', 3)).to.equal(undefined);
    });
  });
});

describe('BatchRunner with records not due yet', () => {
  function createDeferringRunner(
    ordering: 'partition' | 'key',
    notDue: ReadonlySet<string>,
    handled: string[],
    deferrals: Array<[string, number, number]>,
  ): BatchRunner {
    return new BatchRunner({
      ordering,
      maxInFlightPerPartition: 10,
      handle: (record) => {
        if (notDue.has(record.offset)) return { dueAtMs: 5_000 };
        handled.push(record.offset);
      },
      defer: (topic, partition, dueAtMs) => deferrals.push([topic, partition, dueAtMs]),
      dispatchMode: () => 'running',
      offsets: new ConsumerOffsets({ logger: silentLogger, clientId: 'spec', autoCommit: false }),
    });
  }

  it('stops the batch at the record, leaves it and the rest unresolved, and defers its partition', async () => {
    const handled: string[] = [];
    const deferrals: Array<[string, number, number]> = [];
    const runner = createDeferringRunner('partition', new Set(['11']), handled, deferrals);
    const batch = createBatch(['10', '11', '12'].map((offset) => createMessage(offset)));
    await runner.eachBatch(batch.payload);
    expect(handled).to.deep.equal(['10']);
    expect(batch.resolved).to.deep.equal(['10']);
    expect(deferrals).to.deep.equal([['heroes', 3, 5_000]]);
    expect(runner.stats.finished).to.equal(1);
  });

  it('with key ordering, starts no record after the deferral and resolves nothing past it', async () => {
    const handled: string[] = [];
    const deferrals: Array<[string, number, number]> = [];
    const runner = createDeferringRunner('key', new Set(['11']), handled, deferrals);
    const batch = createBatch([
      createMessage('10', 'a'),
      createMessage('11', 'b'),
      createMessage('12', 'b'),
      createMessage('13', 'a'),
    ]);
    await runner.eachBatch(batch.payload);
    expect(handled).to.not.include('12');
    expect(batch.resolved.every((offset) => Number(offset) < 11)).to.equal(true);
    expect(deferrals).to.have.length(1);
  });
});

describe('BatchRunner deferring a record', () => {
  it('names the deferred record’s offset and the batch’s end offset to its defer option', async () => {
    const held: Array<{ offset: string; highWatermark: string }> = [];
    const runner = new BatchRunner({
      ordering: 'partition',
      maxInFlightPerPartition: 10,
      handle: (record) => (record.offset === '11' ? { dueAtMs: 5_000 } : undefined),
      defer: (_topic, _partition, _dueAtMs, record) => held.push(record),
      dispatchMode: () => 'running',
      offsets: new ConsumerOffsets({ logger: silentLogger, clientId: 'spec', autoCommit: false }),
    });
    const batch = createBatch(['10', '11', '12'].map((offset) => createMessage(offset)));
    await runner.eachBatch(batch.payload);
    expect(held).to.deep.equal([{ offset: '11', highWatermark: batch.payload.batch.highWatermark }]);
  });
});
