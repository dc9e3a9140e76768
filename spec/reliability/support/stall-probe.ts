/**
 * A server with echo handlers on two request topics, and a raw kafkajs peer that writes requests to chosen
 * partitions with hand-made headers (a `kafka_replyTopic` that does not exist, among them) and times the
 * replies: what the reply-stall spec measures, on the shared broker and on a 3-broker cluster.
 */
import { randomUUID } from 'node:crypto';
import { Container } from 'inversify';
import type { Admin, Producer } from 'kafkajs';
import { Controller, KafkaServer, MessagePattern, Payload } from '../../../lib';
import { RecordingLogger } from '../../support/recording-logger';
import { specDriver } from '../../support/spec-driver';
import { uniqueName } from '../../support/kafka-fixtures';
import { eventually } from './eventually';
import { createRawKafka, createTopicsOn, headerText } from './raw-kafka';
import { RecordCollector } from './record-collector';

/** A request the peer wrote: where it went, and when. */
export interface SentRequest {
  readonly correlationId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly sentAt: number;
}

/** The echo handlers' controller for `topics`; `seen` gets every payload's `id`, in handling order. */
function createEchoController(topics: readonly [string, string], seen: string[]) {
  @Controller()
  class EchoController {
    @MessagePattern(topics[0])
    first(@Payload() data: { id: string }): unknown {
      seen.push(data.id);
      return { echo: data.id };
    }

    @MessagePattern(topics[1])
    second(@Payload() data: { id: string }): unknown {
      seen.push(data.id);
      return { echo: data.id };
    }
  }
  return EchoController;
}

export class StallProbe {
  readonly prefix = uniqueName('stall');
  /** Two partitions: the doomed request and a good one share partition 0. */
  readonly topicA = `${this.prefix}.a`;
  /** Another topic, one partition. */
  readonly topicB = `${this.prefix}.b`;
  readonly groupId = this.prefix;
  readonly logger = new RecordingLogger();
  /** Payload ids in the order the handlers saw them. */
  readonly seen: string[] = [];
  readonly #brokers: readonly string[];
  #server: KafkaServer | undefined;
  #producer: Producer | undefined;
  #admin: Admin | undefined;
  #collector: RecordCollector | undefined;

  constructor(brokers: readonly string[]) {
    this.#brokers = brokers;
  }

  /**
   * Creates the topics (`leaderOf` places every partition's leader, when given: the stall hits the
   * partitions one broker leads), starts the server and the peer.
   */
  async start(leaders?: { nodes: number[] }): Promise<void> {
    const brokers = this.#brokers;
    const assign = (partitions: number) =>
      leaders
        ? {
            replicaAssignment: Array.from({ length: partitions }, (_, partition) => ({
              partition,
              replicas: leaders.nodes,
            })),
          }
        : { numPartitions: partitions };
    await createTopicsOn(brokers, [
      { topic: this.topicA, ...assign(2) },
      { topic: this.topicB, ...assign(1) },
      { topic: `${this.topicA}.reply`, ...assign(1) },
      { topic: `${this.topicB}.reply`, ...assign(1) },
    ]);
    const controller = createEchoController([this.topicA, this.topicB], this.seen);
    const container = new Container();
    container.bind(controller).toSelf().inSingletonScope();
    this.#server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers: [...brokers], clientId: this.prefix },
      consumer: { groupId: this.groupId },
      // The group keeps its name (no '-server' suffix): the spec reads its committed offsets.
      postfixId: '',
      subscribe: { fromBeginning: true },
      logger: this.logger,
      ...specDriver(),
    });
    await this.#server.listen();
    this.#producer = createRawKafka(brokers).producer();
    this.#admin = createRawKafka(brokers).admin();
    await Promise.all([this.#producer.connect(), this.#admin.connect()]);
    this.#collector = await RecordCollector.start(brokers, [`${this.topicA}.reply`, `${this.topicB}.reply`]);
  }

  async stop(): Promise<void> {
    await this.#collector?.stop();
    await this.#producer?.disconnect();
    await this.#admin?.disconnect();
    await this.#server?.close();
  }

  /** Writes one request to `topic`/`partition`, its reply due on `replyTopic` (default `<topic>.reply`). */
  async send(topic: string, partition: number, replyTopic = `${topic}.reply`): Promise<SentRequest> {
    const correlationId = randomUUID();
    const sentAt = Date.now();
    const [written] = await this.#producer!.send({
      topic,
      messages: [
        {
          partition,
          value: JSON.stringify({ id: correlationId }),
          headers: {
            kafka_correlationId: correlationId,
            kafka_replyTopic: replyTopic,
            kafka_replyPartition: '0',
          },
        },
      ],
    });
    return { correlationId, topic, partition, offset: written.baseOffset!, sentAt };
  }

  /** Resolves with the time the reply to `request` was read back (epoch ms). */
  async answeredAt(request: SentRequest, timeoutMs = 60_000): Promise<number> {
    await this.#collector!.waitFor(
      `${request.topic}.reply`,
      (record) => headerText(record.message, 'kafka_correlationId') === request.correlationId,
      `the reply to ${request.correlationId}`,
      timeoutMs,
    );
    return Date.now();
  }

  /** The log lines saying a reply to `replyTopic` was skipped (for `correlationId`, when given). */
  skipLines(replyTopic: string, correlationId?: string): RecordingLogger['entries'] {
    return this.logger
      .find('error', 'was refused by Kafka', correlationId === undefined ? {} : { correlationId })
      .filter((entry) => entry.fields.replyTopic === replyTopic);
  }

  /** Resolves with the time the skip of `request`'s reply was logged (epoch ms). */
  async givenUpAt(request: SentRequest, replyTopic: string, timeoutMs = 60_000): Promise<number> {
    await eventually(
      () => this.skipLines(replyTopic, request.correlationId).length > 0,
      `the reply to ${request.correlationId} to be given up`,
      timeoutMs,
    );
    return Date.now();
  }

  /** The group's committed offset of `topic`/`partition` ("the next offset to read"), -1 when none. */
  async committed(topic: string, partition: number): Promise<bigint> {
    const [answer] = await this.#admin!.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    const entry = answer.partitions.find((candidate) => candidate.partition === partition);
    return BigInt(entry?.offset ?? '-1');
  }

  /** How many times the handlers saw `request`. */
  timesHandled(request: SentRequest): number {
    return this.seen.filter((id) => id === request.correlationId).length;
  }
}
