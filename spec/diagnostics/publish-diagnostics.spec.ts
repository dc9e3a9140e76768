import { expect } from 'chai';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import {
  countPayloadsBuilt,
  publishBatchStart,
  publishHandlerEnd,
  publishHandlerError,
  publishHandlerRetry,
  publishHandlerStart,
} from '../../lib/diagnostics/publish-diagnostics';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { silentLogger } from '../../lib/logger';
import { ChannelRecorder } from '../support/channel-recorder';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

const handler = { controller: 'AuditController', method: 'audit', pattern: /^audit\..+$/ };

function createContext(offset: string) {
  return { getMessage: () => ({ topic: 'audit.orders', partition: 3, offset }) };
}

describe('the diagnostics publish points', () => {
  let recorder: ChannelRecorder;

  afterEach(() => recorder?.stop());

  describe('publishBatchStart()', () => {
    it('lists each record’s offset and key (as UTF-8 text), read as a field and in JSON', () => {
      recorder = new ChannelRecorder().start();
      const actor = { id: 'audit-1', getSnapshot: () => ({ context: { groupId: 'audit' } }) };
      const messages = [
        { offset: '4', key: Buffer.from('customer-9') },
        { offset: '5', key: null },
      ];
      const batch = { batch: { topic: 'audit.orders', partition: 3, highWatermark: '6', messages } };
      publishBatchStart(actor as never, batch as unknown as FetchedBatch);
      const [payload] = recorder.on('rxkafka:batch:start');
      const keys = [{ offset: '4', key: 'customer-9' }, { offset: '5' }];
      expect(payload).to.deep.include({ clientId: 'audit-1', groupId: 'audit', records: 2, keys });
      expect(payload.keys).to.equal(payload.keys);
      expect(JSON.parse(JSON.stringify({ ...payload, actor: undefined })).keys).to.deep.equal(keys);
    });

    it('gives each batch’s payload the keys of its own records, read in any order', () => {
      recorder = new ChannelRecorder().start();
      const actor = { id: 'audit-1', getSnapshot: () => ({ context: { groupId: 'audit' } }) };
      for (const offset of ['1', '2']) {
        const messages = [{ offset, key: Buffer.from(`k-${offset}`) }];
        const batch = { batch: { topic: 'audit.orders', partition: 0, highWatermark: '3', messages } };
        publishBatchStart(actor as never, batch as unknown as FetchedBatch);
      }
      const [first, second] = recorder.on('rxkafka:batch:start');
      expect(second.keys).to.deep.equal([{ offset: '2', key: 'k-2' }]);
      expect(first.keys).to.deep.equal([{ offset: '1', key: 'k-1' }]);
      expect(Object.keys(first)).to.include('keys');
    });
  });

  describe('publishHandlerStart() / publishHandlerEnd() / publishHandlerError()', () => {
    it('name the handler and its record, with a RegExp pattern as its source text', () => {
      recorder = new ChannelRecorder().start();
      const context = createContext('7');
      publishHandlerStart('event', handler, context);
      publishHandlerError('event', handler, context, new Error('store down'));
      publishHandlerEnd('event', handler, context);
      const run = {
        kind: 'event',
        handler: 'AuditController.audit',
        pattern: '^audit\\..+$',
        topic: 'audit.orders',
        partition: 3,
        offset: '7',
      };
      expect(recorder.channels).to.deep.equal([
        'rxkafka:handler:start',
        'rxkafka:handler:error',
        'rxkafka:handler:end',
      ]);
      expect(recorder.on('rxkafka:handler:start')).to.deep.equal([run]);
      expect(recorder.on('rxkafka:handler:error')[0]).to.deep.include(run);
      expect(recorder.on('rxkafka:handler:end')[0].durationMs).to.be.a('number').and.at.least(0);
    });

    it('time runs that overlap (ended out of order) each from its own start', () => {
      recorder = new ChannelRecorder().start();
      const first = createContext('10');
      const second = createContext('11');
      publishHandlerStart('event', handler, first);
      publishHandlerStart('event', handler, second);
      publishHandlerEnd('event', handler, first);
      publishHandlerEnd('event', handler, second);
      const ends = recorder.on('rxkafka:handler:end');
      expect(ends.map((end) => end.offset)).to.deep.equal(['10', '11']);
      for (const end of ends) expect(end.durationMs).to.be.a('number').and.at.least(0);
    });

    it('leave durationMs out when nobody listened as the run started', () => {
      const context = createContext('8');
      publishHandlerStart('request', handler, context, 'id-8');
      recorder = new ChannelRecorder().start();
      publishHandlerEnd('request', handler, context, 'id-8');
      const [end] = recorder.on('rxkafka:handler:end');
      expect(end).to.deep.include({ correlationId: 'id-8', offset: '8' });
      expect(end).not.to.have.property('durationMs');
    });

    it('build nothing while nobody listens', () => {
      const before = countPayloadsBuilt();
      const context = createContext('9');
      publishHandlerStart('event', handler, context);
      publishHandlerError('event', handler, context, new Error('store down'));
      publishHandlerRetry('event', handler, context, { attempt: 1, attempts: 3, backoffMs: 200 }, 'busy');
      publishHandlerEnd('event', handler, context);
      expect(countPayloadsBuilt()).to.equal(before);
    });

    it('carry the record’s key as text: a string as it is, another decoded key as JSON', () => {
      recorder = new ChannelRecorder().start();
      const withKey = (key: unknown) => ({
        getMessage: () => ({ topic: 'audit.orders', partition: 3, offset: '10', key }),
      });
      publishHandlerStart('event', handler, withKey('customer-9'));
      publishHandlerStart('event', handler, withKey({ tenant: 4 }));
      publishHandlerStart('event', handler, withKey(null));
      const keys = recorder.on('rxkafka:handler:start').map((payload) => payload.key);
      expect(keys).to.deep.equal(['customer-9', '{"tenant":4}', undefined]);
      expect(recorder.on('rxkafka:handler:start')[2]).not.to.have.property('key');
    });
  });

  describe('publishHandlerRetry()', () => {
    it('tells the failed attempt, the attempts allowed and when the next starts', () => {
      recorder = new ChannelRecorder().start();
      const before = Date.now();
      publishHandlerRetry(
        'request',
        handler,
        createContext('11'),
        { attempt: 2, attempts: 5, backoffMs: 400 },
        'busy',
        'id-11',
      );
      const after = Date.now();
      const [retry] = recorder.on('rxkafka:handler:retry');
      expect(retry).to.deep.include({
        kind: 'request',
        handler: 'AuditController.audit',
        offset: '11',
        correlationId: 'id-11',
        attempt: 2,
        attempts: 5,
        error: 'busy',
      });
      expect(retry.nextAttemptAt).to.be.within(before + 400, after + 400);
    });
  });

  describe('connection transitions', () => {
    let driver: FakeKafkaDriver;
    let connection: KafkaConnection | undefined;

    beforeEach(() => {
      driver = new FakeKafkaDriver();
    });

    afterEach(async () => {
      await connection?.close('abandon');
      connection?.dispose();
    });

    it('name no group for a producer-only connection', async () => {
      recorder = new ChannelRecorder().start();
      connection = new KafkaConnection({ driver, clientId: 'audit-producer', logger: silentLogger });
      await connection.connect();
      const transitions = recorder.on('rxkafka:connection:transition', (p) => p.actor === connection?.actor);
      expect(transitions.map(({ from, to }) => `${from} ${to}`)).to.deep.equal([
        'undefined idle',
        'idle connecting',
        'connecting connected',
      ]);
      expect(transitions[2].clientId).to.equal('audit-producer');
      expect(transitions[2]).not.to.have.property('groupId');
    });

    it('give a listener that subscribes late the state the actor left', async () => {
      connection = new KafkaConnection({
        driver,
        clientId: 'audit',
        logger: silentLogger,
        consumer: { groupId: 'audit', topics: ['audit.orders'], eachBatch: async () => undefined },
      });
      await connection.connect();
      recorder = new ChannelRecorder().start();
      driver.consumer.rebalance();
      const [rebalancing] = recorder.on('rxkafka:connection:transition');
      expect(rebalancing).to.deep.include({
        clientId: 'audit',
        groupId: 'audit',
        from: 'assigned',
        to: 'rebalancing',
      });
      const [revoking] = recorder.on('rxkafka:partition:transition');
      expect(revoking).to.deep.include({ topic: 'audit.orders', partition: 0, from: 'idle', to: 'revoking' });
    });
  });
});
