import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { REPLY_PARTITION_ASSIGNER_NAME } from '../../lib/kafka/kafkajs/reply-partition-assigner';
import { useTestBroker } from '../support/global-broker';
import { uniqueName, withAdmin } from '../support/kafka-fixtures';
import { itUnlessPlatformatic, specDriver } from '../support/spec-driver';
import { createTopicsReady } from './support/create-topics-ready';
import { eventually } from './support/eventually';
import {
  connectNestMember,
  connectRxKafkaMember,
  type ReplyGroupMember,
  type ReplyGroupOptions,
} from './support/reply-group-member';
import { startRequestLoad, type RequestLoad } from './support/request-load';

const REPLY_PARTITIONS = 3;
/** Replies each running member must collect between two steps, so every step happens under load. */
const REPLIES_PER_STEP = 20;

type ConnectMember = (name: string, options: ReplyGroupOptions) => Promise<ReplyGroupMember>;

function createEchoController(pattern: string) {
  @Controller()
  class EchoController {
    @MessagePattern(pattern)
    echo(@Payload() data: unknown): unknown {
      return data;
    }
  }
  return EchoController;
}

async function describeGroup(groupId: string): Promise<{ protocol: string; members: number }> {
  const { groups } = await withAdmin((admin) => admin.describeGroups([groupId]));
  return { protocol: groups[0].protocol, members: groups[0].members.length };
}

/** Waits until every load got `count` more replies than it had when this was called. */
async function collectMoreReplies(loads: readonly RequestLoad[], count: number, step: string): Promise<void> {
  const before = loads.map((load) => load.stats.replied);
  await eventually(
    () => loads.every((load, i) => load.stats.replied >= before[i] + count),
    `${count} more replies on every member ${step}`,
    60_000,
  );
}

/**
 * Two members (`first` leads the group: it joined first) send requests continuously while a third member
 * joins and leaves; every request must get its own reply. Member ids start with the member's name, and the
 * leader's assigner visits members in member-id order: the joiner sorts first, so without the sticky
 * `previousAssignment` claims it would take the lowest free partition, one the others still get replies on.
 */
async function runMixedGroup(
  first: ConnectMember,
  second: ConnectMember,
  third: ConnectMember,
): Promise<void> {
  const brokers = [...(await useTestBroker()).brokers];
  const pattern = uniqueName('mixed.work');
  const replyTopic = `${pattern}.reply`;
  await createTopicsReady([
    { topic: pattern, numPartitions: 3 },
    { topic: replyTopic, numPartitions: REPLY_PARTITIONS },
  ]);
  const container = new Container();
  registerControllers(container, [createEchoController(pattern)]);
  const server = new KafkaServer(container, {
    client: { brokers, clientId: uniqueName('mixed-server') },
    consumer: { groupId: uniqueName('mixed-server') },
    subscribe: { fromBeginning: true },
    logger: silentLogger,
    ...specDriver(),
  });
  const options: ReplyGroupOptions = {
    brokers,
    groupId: uniqueName('mixed-group'),
    pattern,
    timeoutMs: 20_000,
  };
  const partitionOf = (member: ReplyGroupMember) => member.assignment()[replyTopic];
  const members: ReplyGroupMember[] = [];
  const loads: RequestLoad[] = [];
  try {
    await server.listen();
    const leader = await first('m2-leader', options);
    members.push(leader);
    const follower = await second('m3-follower', options);
    members.push(follower);
    const stayers = [leader, follower];
    await eventually(
      () => stayers.every((member) => partitionOf(member) !== undefined),
      'both members to hold a reply partition',
    );
    const partitions = stayers.map(partitionOf);
    expect(partitions[0]).not.to.equal(partitions[1]);
    expect(await describeGroup(options.groupId)).to.deep.equal({
      protocol: REPLY_PARTITION_ASSIGNER_NAME,
      members: 2,
    });
    const stayerLoads = stayers.map((member) => startRequestLoad(member));
    loads.push(...stayerLoads);
    await collectMoreReplies(stayerLoads, REPLIES_PER_STEP, 'before the third member joins');

    const joinsBeforeJoin = stayers.map((member) => member.joins);
    const joiner = await third('m1-joiner', options);
    members.push(joiner);
    await eventually(
      () => stayers.every((member, i) => member.joins > joinsBeforeJoin[i]),
      'the two members to rejoin',
    );
    expect(stayers.map((member) => member.isLeader)).to.deep.equal([true, false]);
    expect(await describeGroup(options.groupId)).to.deep.equal({
      protocol: REPLY_PARTITION_ASSIGNER_NAME,
      members: 3,
    });
    expect(stayers.map(partitionOf)).to.deep.equal(partitions);
    expect(partitionOf(joiner)).to.be.a('number').and.not.be.oneOf(partitions);
    const joinerLoad = startRequestLoad(joiner);
    loads.push(joinerLoad);
    await collectMoreReplies(
      [...stayerLoads, joinerLoad],
      REPLIES_PER_STEP,
      'while three members share the topic',
    );

    await joinerLoad.stop();
    const joinsBeforeLeave = stayers.map((member) => member.joins);
    await joiner.close();
    members.splice(members.indexOf(joiner), 1);
    await eventually(
      () => stayers.every((member, i) => member.joins > joinsBeforeLeave[i]),
      'the two members to rejoin',
    );
    expect(stayers.map(partitionOf)).to.deep.equal(partitions);
    await collectMoreReplies(stayerLoads, REPLIES_PER_STEP, 'after the third member left');
    await Promise.all(stayerLoads.map((load) => load.stop()));

    for (const load of loads) {
      expect(load.stats.failures).to.deep.equal([]);
      expect(load.stats.replied).to.equal(load.stats.sent);
    }
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
    await Promise.all(members.map((member) => member.close()));
    await server.close();
  }
}

/** Why a KafkaClient on @platformatic/kafka cannot share a reply group with NestJS's ClientKafka. */
const OWN_REPLY_ASSIGNER =
  "NestReplyPartitionAssigner: the reply consumer uses @platformatic/kafka's own assigner";

describe('a mixed reply group: NestJS ClientKafka and KafkaClient on one reply topic (interop)', function () {
  this.timeout(180_000);

  itUnlessPlatformatic(
    OWN_REPLY_ASSIGNER,
    'loses no reply when the NestJS client leads and a KafkaClient joins and leaves',
    async () => {
      await runMixedGroup(connectNestMember, connectRxKafkaMember, connectRxKafkaMember);
    },
  );

  itUnlessPlatformatic(
    OWN_REPLY_ASSIGNER,
    'loses no reply when the KafkaClient leads and a NestJS client joins and leaves',
    async () => {
      await runMixedGroup(connectRxKafkaMember, connectNestMember, connectNestMember);
    },
  );
});
