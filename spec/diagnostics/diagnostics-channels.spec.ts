import { expect } from 'chai';
import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  DIAGNOSTICS_CHANNELS,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { countPayloadsBuilt } from '../../lib/diagnostics/publish-diagnostics';
import { ChannelRecorder } from '../support/channel-recorder';
import { FakeKafkaDriver, type FakeRecordInput } from '../support/fake-kafka-driver';

/** Resolves after pending promise callbacks and one macrotask: enough for the fake's in-memory steps. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

@Controller()
class MathController {
  @MessagePattern('math.sum')
  sum(@Payload() numbers: number[]): { total: number } {
    return { total: numbers.reduce((a, b) => a + b, 0) };
  }

  @EventPattern('math.audited')
  audited(@Payload() event: { fail?: boolean }): void {
    if (event.fail) throw new Error('audit store down');
  }
}

describe('Diagnostics channels (on a fake driver)', () => {
  let recorder: ChannelRecorder;
  let serverDriver: FakeKafkaDriver;
  let clientDriver: FakeKafkaDriver;
  let server: KafkaServer;
  let client: KafkaClient;

  /** The client's request goes to the server's consumer, and the server's reply back to the client's. */
  async function requestReply(numbers: number[]): Promise<{ total: number }> {
    const answer = firstValueFrom(client.send<{ total: number }>('math.sum', numbers));
    await settle();
    const request = clientDriver.producer.records.at(-1)!;
    await serverDriver.consumer.deliver('math.sum', 0, [toInput(request.record)]);
    const reply = serverDriver.producer.records.at(-1)!;
    await clientDriver.consumer.deliver(reply.topic, reply.partition, [toInput(reply.record)]);
    return answer;
  }

  beforeEach(async () => {
    recorder = new ChannelRecorder().start();
    serverDriver = new FakeKafkaDriver();
    clientDriver = new FakeKafkaDriver();
    const container = new Container();
    registerControllers(container, [MathController]);
    server = new KafkaServer(container, {
      driver: serverDriver,
      logger: silentLogger,
      drainTimeoutMs: 5_000,
    });
    client = new KafkaClient({ driver: clientDriver, logger: silentLogger, requestTimeoutMs: 10_000 });
    client.subscribeToResponseOf('math.sum');
    await server.listen();
    await client.connect();
  });

  afterEach(async () => {
    recorder.stop();
    await client.close();
    await server.close({ mode: 'abandon' });
  });

  context('during a request and its reply', () => {
    it('publishes the request, both batches, the handler run, the reply, the commits and the settlement', async () => {
      recorder.clear();
      expect(await requestReply([1, 2])).to.deep.equal({ total: 3 });
      await settle();
      const serverActor = server.connection.actor;
      const clientActor = client.connection.actor;
      const serverIds = { clientId: 'nestjs-consumer-server', groupId: 'nestjs-group-server' };
      const clientIds = { clientId: 'nestjs-consumer-client', groupId: 'nestjs-group-client' };
      expect(recorder.channels).to.deep.equal([
        'rxkafka:request:sent',
        'rxkafka:batch:start',
        'rxkafka:handler:start',
        'rxkafka:handler:end',
        'rxkafka:reply:produced',
        'rxkafka:batch:end',
        'rxkafka:offsets:committed',
        'rxkafka:batch:start',
        'rxkafka:request:settled',
        'rxkafka:batch:end',
        'rxkafka:offsets:committed',
      ]);

      const [sent] = recorder.on('rxkafka:request:sent');
      const correlationId = sent.correlationId;
      expect(correlationId).to.be.a('string').with.length.above(0);
      expect(sent.actor).to.equal(clientActor);
      expect(sent).to.deep.include({
        ...clientIds,
        pattern: 'math.sum',
        replyTopic: 'math.sum.reply',
        replyPartition: 0,
        timeoutMs: 10_000,
      });

      const [requestBatch, replyBatch] = recorder.on('rxkafka:batch:start');
      const batchFields = { partition: 0, records: 1, firstOffset: '0', lastOffset: '0', highWatermark: '1' };
      expect(requestBatch.actor).to.equal(serverActor);
      expect(requestBatch).to.deep.include({ ...serverIds, topic: 'math.sum', ...batchFields });
      expect(replyBatch.actor).to.equal(clientActor);
      expect(replyBatch).to.deep.include({ ...clientIds, topic: 'math.sum.reply', ...batchFields });
      const [requestBatchEnd, replyBatchEnd] = recorder.on('rxkafka:batch:end');
      expect(requestBatchEnd).to.deep.include({ ...serverIds, topic: 'math.sum', ...batchFields });
      expect(requestBatchEnd.durationMs).to.be.a('number').and.at.least(0);
      expect(requestBatchEnd).not.to.have.property('error');
      expect(replyBatchEnd).to.deep.include({ ...clientIds, topic: 'math.sum.reply', ...batchFields });

      const run = {
        kind: 'request',
        handler: 'MathController.sum',
        pattern: 'math.sum',
        topic: 'math.sum',
        partition: 0,
        offset: '0',
        correlationId,
      };
      expect(recorder.on('rxkafka:handler:start')).to.deep.equal([run]);
      const [end] = recorder.on('rxkafka:handler:end');
      expect(end).to.deep.include(run);
      expect(end.durationMs).to.be.a('number').and.at.least(0);

      expect(recorder.on('rxkafka:reply:produced')).to.deep.equal([
        { correlationId, replyTopic: 'math.sum.reply', replyPartition: 0, records: 1 },
      ]);

      const [serverCommit, clientCommit] = recorder.on('rxkafka:offsets:committed');
      expect(serverCommit.actor).to.equal(serverActor);
      expect(serverCommit).to.deep.include({
        ...serverIds,
        offsets: { topics: [{ topic: 'math.sum', partitions: [{ partition: 0, offset: '1' }] }] },
      });
      expect(clientCommit).to.deep.include({
        ...clientIds,
        offsets: { topics: [{ topic: 'math.sum.reply', partitions: [{ partition: 0, offset: '1' }] }] },
      });

      const [settled] = recorder.on('rxkafka:request:settled');
      expect(settled.actor).to.equal(clientActor);
      expect(settled).to.deep.include({
        ...clientIds,
        pattern: 'math.sum',
        correlationId,
        outcome: 'answered',
      });
      expect(settled.durationMs).to.be.a('number').and.at.least(0);
    });

    it('publishes a request that times out as settled with timed-out', async () => {
      recorder.clear();
      await firstValueFrom(client.send('math.sum', [1], { timeoutMs: 5 })).catch(() => undefined);
      const [sent] = recorder.on('rxkafka:request:sent');
      expect(sent.timeoutMs).to.equal(5);
      const [settled] = recorder.on('rxkafka:request:settled');
      expect(settled).to.deep.include({ correlationId: sent.correlationId, outcome: 'timed-out' });
      expect(settled.durationMs).to.be.at.least(0);
    });
  });

  context('during an event', () => {
    const run = {
      kind: 'event',
      handler: 'MathController.audited',
      pattern: 'math.audited',
      topic: 'math.audited',
      partition: 0,
    };

    it('publishes the handler run with no correlation id, and no reply, then its commit', async () => {
      recorder.clear();
      await serverDriver.consumer.deliver('math.audited', 0, [{ value: JSON.stringify({ fail: false }) }]);
      expect(recorder.channels).to.deep.equal([
        'rxkafka:batch:start',
        'rxkafka:handler:start',
        'rxkafka:handler:end',
        'rxkafka:batch:end',
        'rxkafka:offsets:committed',
      ]);
      expect(recorder.on('rxkafka:handler:start')).to.deep.equal([{ ...run, offset: '0' }]);
      expect(recorder.on('rxkafka:handler:end')[0]).to.deep.include({ ...run, offset: '0' });
    });

    it('publishes a failing handler’s error before its end', async () => {
      recorder.clear();
      await serverDriver.consumer.deliver('math.audited', 0, [{ value: JSON.stringify({ fail: true }) }]);
      expect(recorder.channels.filter((name) => name.startsWith('rxkafka:handler:'))).to.deep.equal([
        'rxkafka:handler:start',
        'rxkafka:handler:error',
        'rxkafka:handler:end',
      ]);
      const [failure] = recorder.on('rxkafka:handler:error');
      expect(failure).to.deep.include({ ...run, offset: '0' });
      expect((failure.error as Error).message).to.equal('audit store down');
      expect(failure.durationMs).to.be.a('number').and.at.least(0);
    });
  });

  context('at connect', () => {
    it('publishes the connection actor’s start and its way to assigned, and each partition actor’s spawn', () => {
      const transitions = recorder.on(
        'rxkafka:connection:transition',
        (p) => p.actor === server.connection.actor,
      );
      expect(transitions.map(({ from, to, event }) => ({ from, to, event }))).to.deep.equal([
        { from: undefined, to: 'idle', event: 'xstate.init' },
        { from: 'idle', to: 'connecting', event: 'kafka.connect' },
        { from: 'connecting', to: 'connecting', event: 'kafka.group.joined' },
        { from: 'connecting', to: 'assigned', event: 'xstate.done.actor.connectKafka' },
      ]);
      expect(transitions[0]).not.to.have.property('from');
      expect(transitions[3]).to.deep.include({
        clientId: 'nestjs-consumer-server',
        groupId: 'nestjs-group-server',
        assignment: { 'math.sum': [0], 'math.audited': [0] },
      });
      expect(transitions[3].at).to.be.a('number');
      const spawned = recorder.on('rxkafka:partition:transition', (p) => p.actor === server.connection.actor);
      expect(
        spawned.map(({ topic, partition, from, to, event }) => ({ topic, partition, from, to, event })),
      ).to.deep.equal([
        { topic: 'math.sum', partition: 0, from: undefined, to: 'idle', event: 'xstate.init' },
        { topic: 'math.audited', partition: 0, from: undefined, to: 'idle', event: 'xstate.init' },
      ]);
    });
  });

  context('during a rebalance', () => {
    it('publishes the connection’s transitions and each partition actor’s, kept, revoked or spawned', async () => {
      recorder.clear();
      serverDriver.consumer.rebalance({ 'math.sum': [1], 'math.audited': [0] });
      await settle();
      const connection = recorder.on('rxkafka:connection:transition');
      expect(
        connection.map(({ from, to, event, assignment }) => ({ from, to, event, assignment })),
      ).to.deep.equal([
        { from: 'assigned', to: 'rebalancing', event: 'kafka.rebalance.started', assignment: {} },
        {
          from: 'rebalancing',
          to: 'assigned',
          event: 'kafka.group.joined',
          assignment: { 'math.sum': [1], 'math.audited': [0] },
        },
      ]);
      const partitions = recorder.on('rxkafka:partition:transition');
      expect(
        partitions.every(
          (p) => p.actor === server.connection.actor && p.clientId === 'nestjs-consumer-server',
        ),
      ).to.equal(true);
      expect(
        partitions.map(({ topic, partition, from, to, event }) => ({ topic, partition, from, to, event })),
      ).to.deep.equal([
        { topic: 'math.sum', partition: 0, from: 'idle', to: 'revoking', event: 'partition.revoking' },
        { topic: 'math.audited', partition: 0, from: 'idle', to: 'revoking', event: 'partition.revoking' },
        { topic: 'math.sum', partition: 0, from: 'revoking', to: 'revoked', event: 'partition.revoked' },
        { topic: 'math.audited', partition: 0, from: 'revoking', to: 'idle', event: 'partition.kept' },
        { topic: 'math.sum', partition: 1, from: undefined, to: 'idle', event: 'xstate.init' },
      ]);
    });
  });

  context('during a drain', () => {
    it('publishes draining and stopped, and each partition actor revoked; no batch starts', async () => {
      await serverDriver.consumer.deliver('math.audited', 0, [{ value: JSON.stringify({}) }]);
      recorder.clear();
      await server.close();
      const connection = recorder.on('rxkafka:connection:transition');
      expect(connection.map(({ from, to, event }) => ({ from, to, event }))).to.deep.equal([
        { from: 'assigned', to: 'draining', event: 'kafka.drain' },
        { from: 'draining', to: 'stopped', event: 'xstate.done.actor.drainKafka' },
      ]);
      const partitions = recorder.on('rxkafka:partition:transition');
      expect(partitions.map(({ topic, to }) => `${topic} ${to}`)).to.have.members([
        'math.sum revoking',
        'math.audited revoking',
        'math.sum revoked',
        'math.audited revoked',
      ]);
      expect(recorder.channels).not.to.include('rxkafka:batch:start');
    });
  });

  describe('a channel nobody listens to', () => {
    it('builds no payload: a request, its reply and an event publish nothing', async () => {
      recorder.stop();
      const before = countPayloadsBuilt();
      await requestReply([4, 5]);
      await serverDriver.consumer.deliver('math.audited', 0, [{ value: JSON.stringify({ fail: true }) }]);
      serverDriver.consumer.rebalance();
      await settle();
      expect(countPayloadsBuilt()).to.equal(before);
    });

    it('builds payloads only for the channels listened to', async () => {
      recorder.stop();
      const only = new ChannelRecorder().start([DIAGNOSTICS_CHANNELS.handlerStart]);
      try {
        const before = countPayloadsBuilt();
        await requestReply([4, 5]);
        await serverDriver.consumer.deliver('math.audited', 0, [{ value: JSON.stringify({}) }]);
        expect(only.channels).to.deep.equal(['rxkafka:handler:start', 'rxkafka:handler:start']);
        expect(countPayloadsBuilt() - before).to.equal(2);
      } finally {
        only.stop();
      }
    });
  });
});

function toInput(record: { value: unknown; key?: unknown; headers?: unknown }): FakeRecordInput {
  const headers = Object.fromEntries(
    Object.entries((record.headers ?? {}) as Record<string, unknown>).map(([name, value]) => [
      name,
      Buffer.isBuffer(value) ? value : Buffer.from(String(value)),
    ]),
  );
  return { value: record.value as Buffer, headers };
}
