import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import { Container } from 'inversify';
import {
  Controller,
  DIAGNOSTICS_CHANNELS,
  EventPattern,
  KafkaHeaders,
  KafkaServer,
  MessagePattern,
  registerControllers,
  silentLogger,
} from '../../lib';
import { MESSAGING_METRICS } from '../../lib/diagnostics/messaging-metrics';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { registerInMemoryMetrics, type InMemoryMetrics } from '../support/in-memory-metrics';
import { eventually } from '../reliability/support/eventually';

@Controller()
class MeteredController {
  @MessagePattern('metered.ask')
  ask(): { ok: boolean } {
    return { ok: true };
  }

  @EventPattern('metered.fail')
  fail(): never {
    throw new Error('ledger closed');
  }
}

async function startServer(driver: FakeKafkaDriver): Promise<KafkaServer> {
  const container = new Container();
  registerControllers(container, [MeteredController]);
  const server = new KafkaServer(container, { driver, logger: silentLogger });
  await server.listen();
  return server;
}

const requestHeaders = {
  [KafkaHeaders.CORRELATION_ID]: 'c-1',
  [KafkaHeaders.REPLY_TOPIC]: 'metered.ask.reply',
  [KafkaHeaders.REPLY_PARTITION]: '0',
};

describe('messaging metrics (OpenTelemetry, fake driver)', () => {
  // First in this file: no spec before it registered a meter provider in this process.
  context('when no meter provider is registered', () => {
    it('creates no instrument and subscribes to no handler channel', async () => {
      const driver = new FakeKafkaDriver();
      const server = await startServer(driver);
      try {
        expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers).to.equal(false);
        expect(channel(DIAGNOSTICS_CHANNELS.handlerError).hasSubscribers).to.equal(false);
      } finally {
        await server.close();
      }
    });
  });

  context('when the meter provider was disabled', () => {
    it('leaves the handler channels once a connection is made without one', async () => {
      const sdk = registerInMemoryMetrics();
      const metered = await startServer(new FakeKafkaDriver());
      expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers).to.equal(true);
      await metered.close();
      await sdk.unregister();
      const server = await startServer(new FakeKafkaDriver());
      try {
        expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers).to.equal(false);
      } finally {
        await server.close();
      }
    });
  });

  context('while connections come and go under a meter provider', () => {
    it('times handler runs while any connection runs, and leaves the handler channels once the last is closed', async () => {
      const sdk = registerInMemoryMetrics();
      try {
        const first = await startServer(new FakeKafkaDriver());
        const second = await startServer(new FakeKafkaDriver());
        expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers).to.equal(true);
        await first.close();
        expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers, 'one still runs').to.equal(true);
        await second.close();
        expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers).to.equal(false);
        expect(channel(DIAGNOSTICS_CHANNELS.handlerError).hasSubscribers).to.equal(false);
        const again = await startServer(new FakeKafkaDriver());
        expect(channel(DIAGNOSTICS_CHANNELS.handlerEnd).hasSubscribers, 'listening again').to.equal(true);
        await again.close();
      } finally {
        await sdk.unregister();
      }
    });
  });

  context('when a meter provider is registered', () => {
    let sdk: InMemoryMetrics;
    let driver: FakeKafkaDriver;
    let server: KafkaServer;

    beforeEach(async () => {
      sdk = registerInMemoryMetrics();
      driver = new FakeKafkaDriver();
      server = await startServer(driver);
    });

    afterEach(async () => {
      await server.close();
      await sdk.unregister();
    });

    it('counts consumed and sent messages, and times the send and the processing', async () => {
      await driver.consumer.deliver('metered.ask', 0, [
        { value: '{}', headers: requestHeaders },
        { value: '{}', headers: { ...requestHeaders, [KafkaHeaders.CORRELATION_ID]: 'c-2' } },
      ]);
      await eventually(() => driver.producer.records.length === 2, 'the two replies', 5_000);

      const consumed = await sdk.points(MESSAGING_METRICS.consumedMessages);
      expect(consumed).to.have.length(1);
      expect(consumed[0].value).to.equal(2);
      expect(consumed[0].attributes).to.deep.include({
        'messaging.system': 'kafka',
        'messaging.operation.name': 'process',
        'messaging.destination.name': 'metered.ask',
        'messaging.destination.partition.id': '0',
      });
      expect(consumed[0].attributes).to.have.property('messaging.consumer.group.name');

      const sent = await sdk.points(MESSAGING_METRICS.sentMessages);
      expect(sent.map((point) => point.attributes['messaging.destination.name'])).to.deep.equal([
        'metered.ask.reply',
      ]);
      expect(sent[0].value).to.equal(2);
      expect(sent[0].attributes).to.deep.include({ 'messaging.operation.name': 'send' });
      expect(sent[0].attributes).to.not.have.property('error.type');

      const sendDurations = await sdk.points(MESSAGING_METRICS.operationDuration);
      const sends = sendDurations.reduce(
        (count, point) => count + (point.value as { count: number }).count,
        0,
      );
      expect(sends).to.be.at.least(1);

      const processed = await sdk.points(MESSAGING_METRICS.processDuration);
      expect(processed).to.have.length(1);
      expect(processed[0].value).to.deep.include({ count: 2 });
      expect(processed[0].attributes).to.deep.include({
        'messaging.destination.name': 'metered.ask',
        'messaging.operation.name': 'process',
      });
    });

    it('marks a failed processing with error.type, once per run', async () => {
      await driver.consumer.deliver('metered.fail', 0, [{ value: '{}' }]);
      let processed: Awaited<ReturnType<InMemoryMetrics['points']>> = [];
      const deadline = Date.now() + 5_000;
      while (processed.length === 0 && Date.now() < deadline) {
        processed = await sdk.points(MESSAGING_METRICS.processDuration);
        if (processed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(processed).to.have.length(1);
      expect(processed[0].value).to.deep.include({ count: 1 });
      expect(processed[0].attributes).to.deep.include({
        'messaging.destination.name': 'metered.fail',
        'error.type': 'Error',
      });
    });
  });
});
