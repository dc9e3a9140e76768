import { expect } from 'chai';
import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  silentLogger,
  type ExactlyOnceOutput,
} from '../../lib';
import { ChannelRecorder } from '../support/channel-recorder';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, uniqueName } from '../support/kafka-fixtures';

async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('diagnostics channels (integration)', () => {
  before(async function () {
    // The shared broker starts with the first integration spec that needs it: on a busy machine, slowly.
    this.timeout(180_000);
    await useTestBroker();
  });

  it('publishes every step of a real request/reply, an event and a drain, with their payloads', async () => {
    const prefix = uniqueName('diagnostics');
    const sumTopic = `${prefix}.sum`;
    const replyTopic = `${sumTopic}.reply`;
    const eventTopic = `${prefix}.audited`;
    await createTopics([{ topic: sumTopic }, { topic: replyTopic }, { topic: eventTopic }]);

    @Controller()
    class MathController {
      @MessagePattern(sumTopic)
      sum(@Payload() numbers: number[]): number {
        return numbers.reduce((a, b) => a + b, 0);
      }

      @EventPattern(eventTopic)
      audited(): void {}
    }

    const recorder = new ChannelRecorder().start();
    const brokers = [...(await useTestBroker()).brokers];
    const container = new Container();
    container.bind(MathController).toSelf();
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    const client = new KafkaClient({
      ...specDriver(),
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      requestTimeoutMs: 15_000,
    });
    client.subscribeToResponseOf(sumTopic);
    try {
      await server.listen();
      await client.connect();
      const serverActor = server.connection.actor;
      const clientActor = client.connection.actor;
      const serverIds = { clientId: `${prefix}-server`, groupId: `${prefix}-server` };
      const clientIds = { clientId: `${prefix}-client`, groupId: `${prefix}-client` };

      // Connect: the server's actor from its start to assigned, and its partition actors spawned.
      const connected = recorder.on('rxkafka:connection:transition', (p) => p.actor === serverActor);
      expect(connected[0]).to.deep.include({ ...serverIds, to: 'idle', event: 'xstate.init' });
      expect(connected.at(-1)).to.deep.include({
        from: 'connecting',
        to: 'assigned',
        assignment: { [sumTopic]: [0], [eventTopic]: [0] },
      });
      expect(
        recorder
          .on('rxkafka:partition:transition', (p) => p.actor === serverActor && p.from === undefined)
          .map(({ topic, partition, to }) => `${topic}/${partition} ${to}`),
      ).to.have.members([`${sumTopic}/0 idle`, `${eventTopic}/0 idle`]);

      // A request and its reply.
      expect(await firstValueFrom(client.send(sumTopic, [1, 2]))).to.equal('3');
      const [sent] = recorder.on('rxkafka:request:sent');
      const { correlationId } = sent;
      expect(sent.actor).to.equal(clientActor);
      expect(sent).to.deep.include({
        ...clientIds,
        pattern: sumTopic,
        replyTopic,
        replyPartition: 0,
        timeoutMs: 15_000,
      });
      const requestBatch = recorder.on('rxkafka:batch:start', (p) => p.topic === sumTopic);
      expect(requestBatch).to.have.length(1);
      expect(requestBatch[0].actor).to.equal(serverActor);
      expect(requestBatch[0]).to.deep.include({ ...serverIds, partition: 0, records: 1, firstOffset: '0' });
      const run = {
        kind: 'request',
        handler: 'MathController.sum',
        pattern: sumTopic,
        topic: sumTopic,
        partition: 0,
        offset: '0',
        correlationId,
      };
      expect(recorder.on('rxkafka:handler:start')).to.deep.equal([run]);
      expect(recorder.on('rxkafka:handler:end')[0]).to.deep.include(run);
      expect(recorder.on('rxkafka:handler:error')).to.deep.equal([]);
      // The reply is produced once the broker acknowledged it to the server's producer; the client, in this
      // same process, may read the reply before that acknowledgement arrives on the other socket.
      await eventually(
        () => recorder.on('rxkafka:reply:produced').length > 0,
        'the server to hear its reply was produced',
      );
      expect(recorder.on('rxkafka:reply:produced')).to.deep.equal([
        { correlationId, replyTopic, replyPartition: 0, records: 1 },
      ]);
      const replyBatch = recorder.on('rxkafka:batch:start', (p) => p.topic === replyTopic);
      expect(replyBatch[0].actor).to.equal(clientActor);
      expect(replyBatch[0]).to.deep.include({ ...clientIds, partition: 0, records: 1 });
      const [settled] = recorder.on('rxkafka:request:settled');
      expect(settled).to.deep.include({
        ...clientIds,
        pattern: sumTopic,
        correlationId,
        outcome: 'answered',
      });
      expect(settled.durationMs).to.be.a('number').and.at.least(0);

      // An event.
      await firstValueFrom(client.emit(eventTopic, { audited: true }));
      await eventually(
        () => recorder.on('rxkafka:handler:end', (p) => p.kind === 'event').length === 1,
        'the event',
      );
      expect(recorder.on('rxkafka:handler:start', (p) => p.kind === 'event')).to.deep.equal([
        {
          kind: 'event',
          handler: 'MathController.audited',
          pattern: eventTopic,
          topic: eventTopic,
          partition: 0,
          offset: '0',
        },
      ]);
      const eventBatchEnd = recorder.on('rxkafka:batch:end', (p) => p.topic === eventTopic);
      expect(eventBatchEnd[0]).to.deep.include({ ...serverIds, partition: 0, records: 1 });
      expect(eventBatchEnd[0].durationMs).to.be.a('number');

      // The drain: every handled record committed, the actor stopped, its partition actors revoked.
      recorder.clear();
      await client.close();
      await server.close();
      const committed = recorder
        .on('rxkafka:offsets:committed', (p) => p.actor === serverActor)
        .flatMap(({ offsets }) => offsets.topics);
      const stoppedAt = recorder.on('rxkafka:connection:transition', (p) => p.actor === serverActor);
      expect(stoppedAt.map(({ from, to }) => `${from} ${to}`)).to.deep.equal([
        'assigned draining',
        'draining stopped',
      ]);
      expect(
        recorder
          .on('rxkafka:partition:transition', (p) => p.actor === serverActor && p.to === 'revoked')
          .map(({ topic, partition }) => `${topic}/${partition}`),
      ).to.have.members([`${sumTopic}/0`, `${eventTopic}/0`]);
      // Commits may have gone out before the drain; whatever the drain committed is at the end of each.
      for (const { topic, partitions } of committed) {
        expect([sumTopic, eventTopic]).to.include(topic);
        expect(partitions).to.deep.equal([{ partition: 0, offset: '1' }]);
      }
    } finally {
      recorder.stop();
      await client.close();
      await server.close();
    }
  });

  it('publishes an exactly-once handler’s runs and the offsets its transactions committed', async function () {
    this.timeout(120_000);
    const prefix = uniqueName('diagnostics-eos');
    const inputTopic = `${prefix}.in`;
    const outputTopic = `${prefix}.out`;
    await createTopics([{ topic: inputTopic }, { topic: outputTopic }]);

    @Controller()
    class ForwardController {
      @EventPattern(inputTopic, { exactlyOnce: true })
      forward(@Payload() data: unknown): ExactlyOnceOutput {
        return { topic: outputTopic, value: data };
      }
    }

    const recorder = new ChannelRecorder().start();
    const brokers = [...(await useTestBroker()).brokers];
    const container = new Container();
    container.bind(ForwardController).toSelf();
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    const client = new KafkaClient({
      ...specDriver(),
      client: { brokers, clientId: `${prefix}-client` },
      logger: silentLogger,
    });
    try {
      await server.listen();
      await client.connect();
      await firstValueFrom(client.emit(inputTopic, { n: 1 }));
      await firstValueFrom(client.emit(inputTopic, { n: 2 }));
      const committedTo = (): string | undefined =>
        recorder
          .on('rxkafka:offsets:committed', (p) => p.groupId === `${prefix}-server.exactly-once`)
          .flatMap(({ offsets }) => offsets.topics)
          .flatMap(({ topic, partitions }) =>
            partitions.map(({ partition, offset }) => `${topic}/${partition}@${offset}`),
          )
          .at(-1);
      await eventually(
        () => committedTo() === `${inputTopic}/0@2`,
        'the transaction of both records to commit',
      );
      const where = {
        kind: 'event',
        handler: 'ForwardController.forward',
        pattern: inputTopic,
        topic: inputTopic,
        partition: 0,
      };
      expect(recorder.on('rxkafka:handler:start', (p) => p.topic === inputTopic)).to.deep.equal([
        { ...where, offset: '0' },
        { ...where, offset: '1' },
      ]);
      const ends = recorder.on('rxkafka:handler:end', (p) => p.topic === inputTopic);
      expect(ends.map(({ offset }) => offset)).to.deep.equal(['0', '1']);
      expect(recorder.on('rxkafka:handler:error', (p) => p.topic === inputTopic)).to.deep.equal([]);
    } finally {
      recorder.stop();
      await client.close();
      await server.close();
    }
  });
});
