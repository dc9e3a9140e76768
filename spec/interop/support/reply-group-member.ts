import type { ClientKafka } from '@nestjs/microservices';
import type { Consumer } from 'kafkajs';
import { firstValueFrom, timeout } from 'rxjs';
import { KafkaClient, silentLogger } from '../../../lib';
import { specDriver } from '../../support/spec-driver';
import { connectNestClient } from './nest-client';

/** One client instance in a shared reply group, whichever library it comes from. */
export interface ReplyGroupMember {
  readonly name: string;
  /** Sends one request and resolves with its (single) reply; rejects on an error or after `timeoutMs`. */
  request(data: unknown): Promise<unknown>;
  /** Reply topic → the partition this member asks replies to go to. */
  assignment(): Record<string, number>;
  /** Group joins (rebalances) this member went through since it connected. */
  readonly joins: number;
  /** Whether this member led the group (ran the assignment) at its last join. */
  readonly isLeader: boolean;
  close(): Promise<void>;
}

/** Where members meet: one group on one reply topic. */
export interface ReplyGroupOptions {
  readonly brokers: readonly string[];
  readonly groupId: string;
  readonly pattern: string;
  readonly timeoutMs: number;
}

// Rebalances are noticed at the next heartbeat, and idle fetches hold heartbeats back: keep both short.
const CONSUMER_TIMING = { heartbeatInterval: 500, maxWaitTimeInMs: 500 } as const;

/**
 * The member's client id, which starts its member id: the group leader's assigner visits members in
 * member-id order, so names decide who picks a free partition first.
 */
function toClientId(name: string, options: ReplyGroupOptions): string {
  return `${name}.${options.groupId}`;
}

/** A NestJS `ClientKafka` in the group (its own `NestReplyPartitionAssigner`), connected. */
export async function connectNestMember(name: string, options: ReplyGroupOptions): Promise<ReplyGroupMember> {
  const client: ClientKafka = await connectNestClient([options.pattern], {
    brokers: options.brokers,
    groupId: options.groupId,
    clientId: toClientId(name, options),
    consumer: CONSUMER_TIMING,
  });
  return createMember(name, client.consumer, {
    request: (data) =>
      firstValueFrom(client.send(options.pattern, data).pipe(timeout({ each: options.timeoutMs }))),
    assignment: () => ({ ...client.getConsumerAssignments() }),
    close: () => client.close(),
  });
}

/** An rxkafka `KafkaClient` in the group, connected. */
export async function connectRxKafkaMember(
  name: string,
  options: ReplyGroupOptions,
): Promise<ReplyGroupMember> {
  const client = new KafkaClient({
    postfixId: '',
    client: { brokers: [...options.brokers], clientId: toClientId(name, options) },
    consumer: { ...CONSUMER_TIMING, groupId: options.groupId },
    logger: silentLogger,
    ...specDriver(),
  });
  client.subscribeToResponseOf(options.pattern);
  await client.connect();
  return createMember(name, client.consumer, {
    request: (data) => firstValueFrom(client.send(options.pattern, data, { timeoutMs: options.timeoutMs })),
    assignment: () => client.getConsumerAssignments(),
    close: async () => {
      await client.close();
    },
  });
}

function createMember(
  name: string,
  consumer: Consumer,
  calls: Pick<ReplyGroupMember, 'request' | 'assignment' | 'close'>,
): ReplyGroupMember {
  let joins = 0;
  let isLeader = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joins += 1;
    isLeader = payload.isLeader;
  });
  return {
    name,
    ...calls,
    get joins() {
      return joins;
    },
    get isLeader() {
      return isLeader;
    },
  };
}
