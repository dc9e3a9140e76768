import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Container } from 'inversify';
import type { IHeaders, Producer } from 'kafkajs';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  DeadLetterHeaders,
  KafkaClient,
  KafkaServer,
  RemoteError,
  RxKafkaError,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { eventually } from './support/eventually';
import { createProbeController, describeSeen, type Seen } from './support/probe-controller';
import { createRawKafka, headerText } from './support/raw-kafka';
import { RecordCollector, type CollectedRecord } from './support/record-collector';
import { RecordingLogger } from '../support/recording-logger';

describe('bad input (reliability)', () => {
  const prefix = uniqueName('bad');
  const requestTopic = `${prefix}.req`;
  const replyTopic = `${requestTopic}.reply`;
  const pairTopic = `${prefix}.pair`;
  const eventTopic = `${prefix}.evt`;
  const deadLetterTopic = `${eventTopic}.dlt`;
  const nowhere = `${prefix}.nowhere`;
  const seenRequests: unknown[] = [];
  const seenEvents: unknown[] = [];
  const logger = new RecordingLogger();
  let brokers: string[];
  let server: KafkaServer;
  let client: KafkaClient;
  let producer: Producer;
  let collector: RecordCollector;
  let pings = 0;

  before(async function () {
    this.timeout(120_000);
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      // One partition each: every hostile record and the request after it share a partition.
      { topic: requestTopic },
      { topic: replyTopic },
      { topic: pairTopic },
      { topic: `${pairTopic}.reply` },
      { topic: eventTopic },
      { topic: deadLetterTopic },
      // The reply topic exists, the request topic does not.
      { topic: `${nowhere}.reply` },
    ]);
    const controller = createProbeController(prefix, seenRequests, seenEvents);
    const container = new Container();
    container.bind(controller).toSelf().inSingletonScope();
    server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger,
      handlerTimeoutMs: 1_500,
      // Records with different keys run side by side (the reply-topic test needs two at once); every other
      // record here has no key, so they all keep their partition's order.
      ordering: 'key',
      ...specDriver(),
    });
    await server.listen();
    client = new KafkaClient({
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      requestTimeoutMs: 60_000,
      ...specDriver(),
    });
    for (const pattern of [requestTopic, pairTopic, nowhere]) client.subscribeToResponseOf(pattern);
    await client.connect();
    producer = createRawKafka(brokers).producer();
    await producer.connect();
    collector = await RecordCollector.start(brokers, [replyTopic, `${pairTopic}.reply`, deadLetterTopic]);
  });

  after(async function () {
    this.timeout(60_000);
    await collector?.stop();
    await producer?.disconnect();
    await client?.close();
    await server?.close();
  });

  /** Produces one raw request record to the request topic; returns its correlation id. */
  async function sendRawRequest(
    value: Buffer | string | null,
    headers: IHeaders = {},
    topic = requestTopic,
  ): Promise<string> {
    const correlationId = randomUUID();
    await producer.send({
      topic,
      messages: [
        {
          value,
          headers: {
            kafka_correlationId: correlationId,
            kafka_replyTopic: `${topic}.reply`,
            kafka_replyPartition: '0',
            ...headers,
          },
        },
      ],
    });
    return correlationId;
  }

  function awaitReply(correlationId: string, topic = replyTopic): Promise<CollectedRecord> {
    return collector.waitFor(
      topic,
      (record) => headerText(record.message, 'kafka_correlationId') === correlationId,
      `the reply to ${correlationId}`,
    );
  }

  function readReplyBody(record: CollectedRecord): unknown {
    return JSON.parse(String(record.message.value));
  }

  /** A normal request on the same partition is still answered: the partition keeps flowing. */
  async function expectRequestsStillFlow(): Promise<void> {
    pings += 1;
    const reply = await firstValueFrom(client.send(requestTopic, { act: 'ping', n: pings }));
    expect(reply).to.deep.equal(describeSeen({ act: 'ping', n: pings }));
  }

  /** A normal event on the same partition is still handled. */
  async function expectEventsStillFlow(): Promise<void> {
    pings += 1;
    const ping = { act: 'ping', n: pings };
    await lastValueFrom(client.emit(eventTopic, ping), { defaultValue: undefined });
    await eventually(
      () => seenEvents.some((seen) => JSON.stringify(seen) === JSON.stringify(ping)),
      `ping event ${pings}`,
      30_000,
    );
  }

  /** Request values that are not what a handler expects, and what the handler must receive instead. */
  const hostileValues: Array<{
    row: string;
    received: string;
    value: Buffer | string | null;
    expected: (seen: Seen) => void;
  }> = [
    {
      row: 'malformed JSON',
      received: 'the text',
      value: '{"hero": "Ann", ',
      expected: (seen) => expect(seen).to.deep.equal({ kind: 'string', text: '{"hero": "Ann", ' }),
    },
    {
      row: 'object-like text that is not JSON',
      received: 'the text',
      value: '{hero: Ann}',
      expected: (seen) => expect(seen).to.deep.equal({ kind: 'string', text: '{hero: Ann}' }),
    },
    {
      row: 'a binary value with a leading 0x00 (schema-registry framing)',
      received: 'the Buffer, untouched',
      value: Buffer.from([0x00, 0x00, 0x00, 0x00, 0x2a, 0xff, 0x10]),
      expected: (seen) => expect(seen).to.deep.equal({ kind: 'buffer', hex: '000000002aff10' }),
    },
    {
      row: 'a binary value that is not UTF-8',
      received: 'its UTF-8 reading',
      value: Buffer.from([0xff, 0xfe, 0x41]),
      expected: (seen) => expect(seen).to.deep.equal({ kind: 'string', text: '\ufffd\ufffdA' }),
    },
    {
      row: 'an empty value',
      received: 'an empty string',
      value: '',
      expected: (seen) => expect(seen).to.deep.equal({ kind: 'string', text: '' }),
    },
    {
      row: 'a null value (tombstone)',
      received: 'null (NestJS hands over the whole kafkajs message)',
      value: null,
      expected: (seen) => expect(seen).to.deep.equal({ kind: 'other', text: 'null' }),
    },
    {
      row: '`__proto__` keys in JSON',
      received: 'an own `__proto__` property; Object.prototype untouched',
      value: '{"__proto__": {"polluted": true}, "hero": "Ann"}',
      expected: (seen) =>
        expect(seen).to.deep.equal({
          kind: 'object',
          keys: ['__proto__', 'hero'],
          ownProtoKey: true,
          prototypePolluted: false,
        }),
    },
  ];

  describe('hostile request values', () => {
    for (const { row, received, value, expected } of hostileValues) {
      it(`answers ${row} with what its handler received (${received}), and keeps the partition flowing`, async () => {
        const reply = await awaitReply(await sendRawRequest(value));
        expected(readReplyBody(reply) as Seen);
        await expectRequestsStillFlow();
      });
    }
  });

  describe('hostile event values', () => {
    it('hands every hostile value to the event handler, decoded as for requests, with no dead letter', async () => {
      const before = seenEvents.length;
      await producer.send({ topic: eventTopic, messages: hostileValues.map(({ value }) => ({ value })) });
      await eventually(() => seenEvents.length >= before + hostileValues.length, 'the hostile events');
      const seen = seenEvents.slice(before, before + hostileValues.length).map(describeSeen);
      hostileValues.forEach(({ expected }, index) => expected(seen[index]));
      await expectEventsStillFlow();
      expect(collector.of(deadLetterTopic)).to.deep.equal([]);
    });
  });

  describe('request headers', () => {
    const halfRequests: Array<{ row: string; unusable: string; headers: IHeaders }> = [
      {
        row: 'without kafka_correlationId',
        unusable: 'kafka_correlationId',
        headers: { kafka_replyTopic: replyTopic, kafka_replyPartition: '0' },
      },
      {
        row: 'with an empty kafka_correlationId',
        unusable: 'kafka_correlationId',
        headers: { kafka_correlationId: '', kafka_replyTopic: replyTopic, kafka_replyPartition: '0' },
      },
      {
        row: 'without kafka_replyTopic',
        unusable: 'kafka_replyTopic',
        headers: { kafka_correlationId: randomUUID(), kafka_replyPartition: '0' },
      },
    ];
    for (const { row, unusable, headers } of halfRequests) {
      it(`runs a request ${row} as an event: its handler runs, no reply, a logged warning`, async () => {
        const marker = randomUUID();
        const warnings = logger.find('warn', `no usable ${unusable}`).length;
        await producer.send({
          topic: requestTopic,
          messages: [{ value: JSON.stringify({ marker }), headers }],
        });
        await expectRequestsStillFlow();
        expect(seenRequests).to.deep.include({ marker });
        // Replies keep the partition's order: an answer to the marker would have come before the ping's.
        expect(
          collector.of(replyTopic).filter((r) => String(r.message.value).includes(marker)),
        ).to.deep.equal([]);
        expect(logger.find('warn', `no usable ${unusable}`)).to.have.length(warnings + 1);
      });
    }

    it('echoes a correlation id that looks like JSON byte for byte', async () => {
      const correlationId = `{"id": "${randomUUID()}", "n": [1, 2]}`;
      await sendRawRequest('{"hero": "Ann"}', { kafka_correlationId: correlationId });
      const reply = await awaitReply(correlationId);
      expect(readReplyBody(reply)).to.deep.equal(describeSeen({ hero: 'Ann' }));
      await expectRequestsStillFlow();
    });

    it('answers a binary, non-UTF-8 correlation id with its UTF-8 reading, as NestJS does', async () => {
      const garbage = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(randomUUID())]);
      await sendRawRequest('{"hero": "Ann"}', { kafka_correlationId: garbage });
      const reply = await awaitReply(garbage.toString('utf8'));
      expect(readReplyBody(reply)).to.deep.equal(describeSeen({ hero: 'Ann' }));
      await expectRequestsStillFlow();
    });

    it('sends the reply where the partitioner puts it when kafka_replyPartition is not a number, and warns', async () => {
      const correlationId = await sendRawRequest('{"hero": "Ann"}', { kafka_replyPartition: 'abc' });
      const reply = await awaitReply(correlationId);
      expect(reply.partition).to.equal(0);
      expect(logger.find('warn', 'is not a partition number', { correlationId })).to.have.length(1);
      await expectRequestsStillFlow();
    });

    it('logs and skips a request whose kafka_replyPartition is beyond the reply topic’s partitions', async () => {
      const correlationId = await sendRawRequest('{"hero": "Ann"}', { kafka_replyPartition: '7' });
      await eventually(
        () => logger.find('error', 'was refused by Kafka', { correlationId }).length === 1,
        'the skipped reply to be logged',
      );
      const [entry] = logger.find('error', 'was refused by Kafka', { correlationId });
      expect((entry.fields.error as RxKafkaError).message).to.contain('no partition 7');
      await expectRequestsStillFlow();
    });

    it('skips a reply to a reply topic that does not exist, holding no reply due meanwhile', async function () {
      // kafkajs tries a topic it cannot find for about 12 s (its default retry) before it gives up.
      this.timeout(90_000);
      const doomed = randomUUID();
      const fine = randomUUID();
      await producer.send({
        topic: pairTopic,
        messages: [
          {
            key: 'doomed',
            value: '{"hero": "Ann"}',
            headers: {
              kafka_correlationId: doomed,
              kafka_replyTopic: `${prefix}.no-such-topic`,
              kafka_replyPartition: '0',
            },
          },
          {
            key: 'fine',
            value: '{"hero": "Bob"}',
            headers: {
              kafka_correlationId: fine,
              kafka_replyTopic: `${pairTopic}.reply`,
              kafka_replyPartition: '0',
            },
          },
        ],
      });
      const reply = await awaitReply(fine, `${pairTopic}.reply`);
      expect(readReplyBody(reply)).to.deep.equal(describeSeen({ hero: 'Bob' }));
      expect(
        logger.find('error', 'was refused by Kafka', { correlationId: doomed }),
        'skipped before',
      ).to.deep.equal([]);

      await eventually(
        () => logger.find('error', 'was refused by Kafka', { correlationId: doomed }).length === 1,
        'the reply to the missing topic to be skipped',
        60_000,
      );
      const after = await sendRawRequest('{"hero": "Cid"}', {}, pairTopic);
      expect(readReplyBody(await awaitReply(after, `${pairTopic}.reply`))).to.deep.equal(
        describeSeen({ hero: 'Cid' }),
      );
    });
  });

  describe('failing request handlers', () => {
    const failures: Array<{ act: string; how: string; response: unknown }> = [
      { act: 'throw', how: 'throws', response: { status: 'error', message: 'Internal server error' } },
      { act: 'reject', how: 'rejects', response: { status: 'error', message: 'rejected on purpose' } },
      { act: 'error$', how: 'returns an erroring Observable', response: { code: 'E_OBSERVABLE' } },
    ];
    for (const { act, how, response } of failures) {
      it(`answers a handler that ${how} with an error reply`, async () => {
        const error = (await firstValueFrom(client.send(requestTopic, { act })).catch(
          (e: unknown) => e,
        )) as RemoteError;
        expect(error).to.be.instanceOf(RemoteError);
        expect(error.response).to.deep.equal(response);
        await expectRequestsStillFlow();
      });
    }

    it('cuts off a handler that never settles and answers with RXK_HANDLER_TIMEOUT’s message', async () => {
      const error = (await firstValueFrom(client.send(requestTopic, { act: 'hang' })).catch(
        (e: unknown) => e,
      )) as RemoteError;
      expect(error).to.be.instanceOf(RemoteError);
      expect(error.response).to.deep.include({ status: 'error' });
      expect((error.response as { message: string }).message).to.contain('was cut off');
      await expectRequestsStillFlow();
    });

    it('logs and skips a reply over the broker’s size limit', async () => {
      const correlationId = await sendRawRequest(JSON.stringify({ act: 'huge-reply' }));
      await eventually(
        () => logger.find('error', 'was refused by Kafka', { correlationId }).length === 1,
        'the too large reply to be skipped',
      );
      await expectRequestsStillFlow();
    });
  });

  describe('failing event handlers', () => {
    it('dead-letters an event whose handler throws, rejects, never settles or errors, and moves on', async function () {
      this.timeout(60_000);
      const acts = ['throw', 'reject', 'hang', 'error$'];
      const before = collector.of(deadLetterTopic).length;
      await producer.send({
        topic: eventTopic,
        messages: acts.map((act) => ({ value: JSON.stringify({ act }) })),
      });
      await eventually(
        () => collector.of(deadLetterTopic).length >= before + acts.length,
        'four dead letters',
      );
      const letters = collector.of(deadLetterTopic).slice(before);
      expect(letters.map((letter) => JSON.parse(String(letter.message.value)))).to.deep.equal(
        acts.map((act) => ({ act })),
      );
      expect(
        letters.map((letter) => headerText(letter.message, DeadLetterHeaders.EXCEPTION_FQCN)),
      ).to.deep.equal(['Error', 'RpcException', 'RxKafkaError', 'RpcException']);
      for (const letter of letters) {
        expect(headerText(letter.message, DeadLetterHeaders.ORIGINAL_TOPIC)).to.equal(eventTopic);
        expect(headerText(letter.message, DeadLetterHeaders.HANDLER)).to.equal('ProbeController.event');
      }
      await expectEventsStillFlow();
    });
  });

  describe('values over the broker’s size limit', () => {
    it('fails send() with RXK_SEND_FAILED carrying kafkajs’s MESSAGE_TOO_LARGE, and nothing else breaks', async () => {
      const error = (await firstValueFrom(client.send(requestTopic, 'x'.repeat(1_200_000))).catch(
        (e: unknown) => e,
      )) as RxKafkaError;
      expect(RxKafkaError.isRxKafkaError(error), String(error)).to.equal(true);
      expect(error.code).to.equal('RXK_SEND_FAILED');
      expect(error.retriable).to.equal(false);
      expect((error.cause as { type?: string }).type).to.equal('MESSAGE_TOO_LARGE');
      expect(client.pendingRequests).to.equal(0);
      await expectRequestsStillFlow();
    });

    it('fails emit() with RXK_SEND_FAILED', async () => {
      const error = (await lastValueFrom(client.emit(eventTopic, 'x'.repeat(1_200_000))).catch(
        (e: unknown) => e,
      )) as RxKafkaError;
      expect(error.code).to.equal('RXK_SEND_FAILED');
      await expectEventsStillFlow();
    });
  });

  describe('an unknown topic', () => {
    it('fails send() and emit() with RXK_SEND_FAILED, not a hang, and holds no other request meanwhile', async function () {
      // kafkajs tries a topic it cannot find for about 12 s (its default retry) before it gives up.
      this.timeout(90_000);
      let settled = 0;
      const sent = firstValueFrom(client.send(nowhere, { hero: 'Ann' }))
        .catch((e: unknown) => e)
        .finally(() => (settled += 1));
      const emitted = lastValueFrom(client.emit(nowhere, { hero: 'Ann' }))
        .catch((e: unknown) => e)
        .finally(() => (settled += 1));
      await expectRequestsStillFlow();
      expect(settled, 'unknown-topic sends settled before the ping').to.equal(0);

      for (const error of (await Promise.all([sent, emitted])) as RxKafkaError[]) {
        expect(RxKafkaError.isRxKafkaError(error), String(error)).to.equal(true);
        expect(error.code).to.equal('RXK_SEND_FAILED');
        expect(error.message).to.contain(nowhere).and.contain('does not host this topic-partition');
        expect(error.retriable).to.equal(false);
      }
      expect(client.pendingRequests).to.equal(0);
      await expectRequestsStillFlow();
    });
  });

  describe('after every row', () => {
    it('has not crashed the server: it is still assigned its partitions', () => {
      expect(server.connection.state).to.equal('assigned');
    });
  });
});
