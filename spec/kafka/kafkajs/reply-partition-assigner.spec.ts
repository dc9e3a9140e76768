import { expect } from 'chai';
import { AssignerProtocol } from 'kafkajs';
import type { Assigner, Assignment, Cluster, GroupMember, GroupMemberAssignment, Logger } from 'kafkajs';
import type { ClientKafka } from '@nestjs/microservices';
import { KafkaReplyPartitionAssigner } from '@nestjs/microservices/helpers/kafka-reply-partition-assigner';
import { ReplyAssignments } from '../../../lib/client/reply-assignments';
import {
  createReplyPartitionAssigner,
  REPLY_PARTITION_ASSIGNER_NAME,
  REPLY_PARTITION_ASSIGNER_VERSION,
} from '../../../lib/kafka/kafkajs/reply-partition-assigner';

type TopicPartitions = Record<string, number[]>;
type PreviousAssignment = Record<string, unknown>;
type NestAssignerConfig = ConstructorParameters<typeof KafkaReplyPartitionAssigner>[1];

interface Scenario {
  readonly name: string;
  /** Partition ids per topic, in the order the cluster metadata lists them. */
  readonly partitions: TopicPartitions;
  readonly members: ReadonlyArray<{ id: string; previous: PreviousAssignment }>;
}

function fakeCluster(partitions: TopicPartitions): Cluster {
  const cluster: Pick<Cluster, 'findTopicPartitionMetadata'> = {
    findTopicPartitionMetadata: (topic) =>
      (partitions[topic] ?? []).map((partitionId) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
      })),
  };
  return cluster as Cluster;
}

function recordingLogger(): { logger: Logger; warnings: Array<{ message: string; extra?: object }> } {
  const warnings: Array<{ message: string; extra?: object }> = [];
  const logger: Logger = {
    info: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    warn: (message, extra) => warnings.push({ message, extra }),
    namespace: () => logger,
    setLogLevel: () => undefined,
  };
  return { logger, warnings };
}

function createOurs(partitions: TopicPartitions, assignment: TopicPartitions = {}) {
  const assignments = new ReplyAssignments();
  assignments.update(assignment);
  const { logger, warnings } = recordingLogger();
  const assigner = createReplyPartitionAssigner(assignments)({
    cluster: fakeCluster(partitions),
    groupId: 'rxkafka-client',
    logger,
  });
  return { assigner, assignments, warnings };
}

function createNest(partitions: TopicPartitions, previous: PreviousAssignment = {}) {
  const client = { getConsumerAssignments: () => previous } as unknown as ClientKafka;
  const config = { cluster: fakeCluster(partitions) } as unknown as NestAssignerConfig;
  return new KafkaReplyPartitionAssigner(client, config);
}

function member(memberId: string, topics: string[], userData: Buffer): GroupMember {
  return {
    memberId,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData }),
  };
}

function memberWithPrevious(memberId: string, topics: string[], previous: PreviousAssignment): GroupMember {
  return member(memberId, topics, Buffer.from(JSON.stringify({ previousAssignment: previous })));
}

function decodeAssignments(result: GroupMemberAssignment[]): Record<string, Assignment> {
  return Object.fromEntries(
    result.map(({ memberId, memberAssignment }) => {
      const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment);
      if (decoded === null) throw new Error(`empty assignment for ${memberId}`);
      return [memberId, decoded.assignment];
    }),
  );
}

async function assignWith(assigner: Pick<Assigner, 'assign'>, scenario: Scenario) {
  const topics = Object.keys(scenario.partitions);
  const members = scenario.members.map(({ id, previous }) => memberWithPrevious(id, topics, previous));
  return assigner.assign({ members, topics });
}

/** Deterministic pseudo-random numbers (mulberry32), so generated scenarios are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Groups where Nest's assigner is correct: valid userData, distinct existing claims, full subscriptions. */
function generateScenario(random: () => number, index: number): Scenario {
  const pick = (max: number) => Math.floor(random() * max);
  const partitions: TopicPartitions = {};
  for (let t = 0; t < 1 + pick(3); t++) {
    const ids = Array.from({ length: 1 + pick(6) }, (_, id) => id);
    partitions[`topic-${t}.reply`] = ids.sort(() => random() - 0.5);
  }
  const unclaimed = Object.fromEntries(Object.entries(partitions).map(([topic, ids]) => [topic, [...ids]]));
  const members = Array.from({ length: 1 + pick(6) }, () => {
    const previous: PreviousAssignment = {};
    for (const [topic, free] of Object.entries(unclaimed)) {
      if (free.length > 0 && random() < 0.5) previous[topic] = free.splice(pick(free.length), 1)[0];
    }
    if (random() < 0.1) previous['not-in-group.reply'] = 0;
    return { id: `client-${Math.floor(random() * 0xffffff).toString(16)}`, previous };
  });
  return { name: `generated #${index}`, partitions, members };
}

describe('createReplyPartitionAssigner', () => {
  it('registers under the NestJS protocol name and version', () => {
    const { assigner } = createOurs({});
    expect(assigner.name).to.equal('NestReplyPartitionAssigner');
    expect(assigner.version).to.equal(1);
    expect([REPLY_PARTITION_ASSIGNER_NAME, REPLY_PARTITION_ASSIGNER_VERSION]).to.deep.equal([
      assigner.name,
      assigner.version,
    ]);
  });

  describe('.protocol()', () => {
    it('encodes version 1, the topics and an empty previousAssignment before the first join', () => {
      const { assigner } = createOurs({});
      const state = assigner.protocol({ topics: ['math.sum.reply', 'hero.kill.reply'] });
      const decoded = AssignerProtocol.MemberMetadata.decode(state.metadata);
      expect(state.name).to.equal('NestReplyPartitionAssigner');
      expect(decoded?.version).to.equal(1);
      expect(decoded?.topics).to.deep.equal(['math.sum.reply', 'hero.kill.reply']);
      expect(JSON.parse(String(decoded?.userData))).to.deep.equal({ previousAssignment: {} });
    });

    it('sends the minimum partition of each topic currently assigned', () => {
      const { assigner, assignments } = createOurs({});
      assignments.update({ 'math.sum.reply': [2, 1], 'hero.kill.reply': [] });
      const decoded = AssignerProtocol.MemberMetadata.decode(
        assigner.protocol({ topics: ['math.sum.reply'] }).metadata,
      );
      expect(JSON.parse(String(decoded?.userData))).to.deep.equal({
        previousAssignment: { 'math.sum.reply': 1 },
      });
    });

    it('writes the same bytes as NestJS for the same assignments', () => {
      const { assigner } = createOurs({}, { 'math.sum.reply': [1], 'hero.kill.reply': [0, 3] });
      const nest = createNest({}, { 'math.sum.reply': 1, 'hero.kill.reply': 0 });
      const topics = ['math.sum.reply', 'hero.kill.reply'];
      expect(assigner.protocol({ topics })).to.deep.equal(
        nest.protocol({ topics, userData: Buffer.alloc(0) }),
      );
    });
  });

  describe('.assign()', () => {
    it('gives a single member every partition of its topic', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1, 2] });
      const result = await assigner.assign({
        members: [memberWithPrevious('a', ['math.sum.reply'], {})],
        topics: ['math.sum.reply'],
      });
      expect(decodeAssignments(result)).to.deep.equal({ a: { 'math.sum.reply': [0, 1, 2] } });
    });

    it('gives a one-partition topic to the first sorted member and nothing to the others', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0] });
      const topics = ['math.sum.reply'];
      const result = await assigner.assign({
        members: ['c', 'a', 'b'].map((id) => memberWithPrevious(id, topics, {})),
        topics,
      });
      expect(result.map(({ memberId }) => memberId)).to.deep.equal(['a', 'b', 'c']);
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [0] },
        b: { 'math.sum.reply': [] },
        c: { 'math.sum.reply': [] },
      });
    });

    it('lets every member keep its previous partition when a new member joins', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1, 2] });
      const topics = ['math.sum.reply'];
      const result = await assigner.assign({
        members: [
          memberWithPrevious('b', topics, { 'math.sum.reply': 0 }),
          memberWithPrevious('c', topics, { 'math.sum.reply': 2 }),
          memberWithPrevious('a', topics, {}),
        ],
        topics,
      });
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [1] },
        b: { 'math.sum.reply': [0] },
        c: { 'math.sum.reply': [2] },
      });
    });

    it('hands a departed member’s partition to a member that had none', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0] });
      const topics = ['math.sum.reply'];
      // nestjs/nest#11688's scenario: "a" held the only partition and left; "b" had none.
      const result = await assigner.assign({ members: [memberWithPrevious('b', topics, {})], topics });
      expect(decodeAssignments(result)).to.deep.equal({ b: { 'math.sum.reply': [0] } });
    });

    it('keeps the other members’ partitions when one leaves', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1, 2] });
      const topics = ['math.sum.reply'];
      // "a" held 0 and left; "c" was the member without a partition.
      const result = await assigner.assign({
        members: [
          memberWithPrevious('b', topics, { 'math.sum.reply': 1 }),
          memberWithPrevious('d', topics, { 'math.sum.reply': 2 }),
          memberWithPrevious('c', topics, {}),
        ],
        topics,
      });
      expect(decodeAssignments(result)).to.deep.equal({
        b: { 'math.sum.reply': [1] },
        c: { 'math.sum.reply': [0] },
        d: { 'math.sum.reply': [2] },
      });
    });

    it('spreads a departed member’s partitions round-robin when everyone already has one', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1, 2, 3] });
      const topics = ['math.sum.reply'];
      const result = await assigner.assign({
        members: [
          memberWithPrevious('a', topics, { 'math.sum.reply': 1 }),
          memberWithPrevious('b', topics, { 'math.sum.reply': 3 }),
        ],
        topics,
      });
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [1, 0] },
        b: { 'math.sum.reply': [3, 2] },
      });
    });

    it('gives a partition claimed by two members only to the first in sorted order', async () => {
      const { assigner, warnings } = createOurs({ 'math.sum.reply': [0, 1] });
      const topics = ['math.sum.reply'];
      const result = await assigner.assign({
        members: [
          memberWithPrevious('b', topics, { 'math.sum.reply': 0 }),
          memberWithPrevious('a', topics, { 'math.sum.reply': 0 }),
        ],
        topics,
      });
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [0] },
        b: { 'math.sum.reply': [1] },
      });
      expect(warnings).to.have.length(1);
      expect(warnings[0].extra).to.include({ memberId: 'b', topic: 'math.sum.reply', partition: 0 });
    });

    it('leaves the loser of a duplicate claim empty when no partition is free', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0] });
      const topics = ['math.sum.reply'];
      const result = await assigner.assign({
        members: [
          memberWithPrevious('a', topics, { 'math.sum.reply': 0 }),
          memberWithPrevious('b', topics, { 'math.sum.reply': 0 }),
        ],
        topics,
      });
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [0] },
        b: { 'math.sum.reply': [] },
      });
    });

    for (const [label, claim] of [
      ['a partition the topic no longer has', 5],
      ['null, as pre-#11692 NestJS clients sent for an empty assignment', null],
      ['a partition given as a string', '0'],
      ['a negative partition', -1],
    ] as const) {
      it(`ignores a claim of ${label}`, async () => {
        const { assigner, warnings } = createOurs({ 'math.sum.reply': [0, 1] });
        const topics = ['math.sum.reply'];
        const result = await assigner.assign({
          members: [
            memberWithPrevious('a', topics, { 'math.sum.reply': claim }),
            memberWithPrevious('b', topics, { 'math.sum.reply': 0 }),
          ],
          topics,
        });
        expect(decodeAssignments(result)).to.deep.equal({
          a: { 'math.sum.reply': [1] },
          b: { 'math.sum.reply': [0] },
        });
        expect(warnings.map(({ extra }) => extra)).to.deep.equal([
          { groupId: 'rxkafka-client', memberId: 'a', topic: 'math.sum.reply', partition: claim },
        ]);
      });
    }

    it('shows that NestJS’s own leader crashes on a null claim (nestjs/nest#11688)', async () => {
      const nest = createNest({ 'math.sum.reply': [0, 1] });
      const error = await nest
        .assign({
          members: [memberWithPrevious('a', ['math.sum.reply'], { 'math.sum.reply': null })],
          topics: ['math.sum.reply'],
        })
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error)
        .to.be.instanceOf(Error)
        .with.property('message', 'value should be an instance of Encoder');
    });

    for (const [label, userData] of [
      ['empty', Buffer.alloc(0)],
      ['not JSON', Buffer.from('hrtime:12345')],
      ['JSON without previousAssignment', Buffer.from('{"assignment":{}}')],
      ['JSON whose previousAssignment is not an object', Buffer.from('{"previousAssignment":3}')],
      ['a JSON array', Buffer.from('[1]')],
    ] as const) {
      it(`treats a member whose userData is ${label} as a new member`, async () => {
        const { assigner, warnings } = createOurs({ 'math.sum.reply': [0, 1] });
        const topics = ['math.sum.reply'];
        const result = await assigner.assign({
          members: [member('a', topics, userData), memberWithPrevious('b', topics, { 'math.sum.reply': 0 })],
          topics,
        });
        expect(decodeAssignments(result)).to.deep.equal({
          a: { 'math.sum.reply': [1] },
          b: { 'math.sum.reply': [0] },
        });
        expect(warnings).to.have.length(1);
        expect(warnings[0].extra).to.deep.equal({ groupId: 'rxkafka-client', memberId: 'a' });
      });
    }

    it('assigns every group topic to a member whose metadata cannot be decoded', async () => {
      const { assigner, warnings } = createOurs({ 'math.sum.reply': [0], 'hero.kill.reply': [0] });
      const topics = ['math.sum.reply', 'hero.kill.reply'];
      const result = await assigner.assign({
        members: [{ memberId: 'a', memberMetadata: Buffer.from([0x00]) }],
        topics,
      });
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [0], 'hero.kill.reply': [0] },
      });
      expect(warnings).to.have.length(1);
    });

    it('assigns a member only the topics it subscribed to', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1, 2], 'hero.kill.reply': [0] });
      const result = await assigner.assign({
        members: [
          memberWithPrevious('a', ['math.sum.reply', 'hero.kill.reply'], {}),
          memberWithPrevious('b', ['math.sum.reply'], { 'hero.kill.reply': 0 }),
          memberWithPrevious('c', ['hero.kill.reply'], {}),
        ],
        topics: ['math.sum.reply', 'hero.kill.reply'],
      });
      expect(decodeAssignments(result)).to.deep.equal({
        a: { 'math.sum.reply': [0, 2], 'hero.kill.reply': [0] },
        b: { 'math.sum.reply': [1] },
        c: { 'hero.kill.reply': [] },
      });
    });

    it('ignores claims for topics outside the group', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1] });
      const result = await assigner.assign({
        members: [memberWithPrevious('a', ['math.sum.reply'], { 'other.reply': 1 })],
        topics: ['math.sum.reply'],
      });
      expect(decodeAssignments(result)).to.deep.equal({ a: { 'math.sum.reply': [0, 1] } });
    });

    it('encodes member assignments kafkajs decodes as version 1 with empty userData', async () => {
      const { assigner } = createOurs({ 'math.sum.reply': [0, 1] });
      const [{ memberAssignment }] = await assigner.assign({
        members: [memberWithPrevious('a', ['math.sum.reply'], {})],
        topics: ['math.sum.reply'],
      });
      expect(AssignerProtocol.MemberAssignment.decode(memberAssignment)).to.deep.equal({
        version: 1,
        assignment: { 'math.sum.reply': [0, 1] },
        userData: Buffer.alloc(0),
      });
    });
  });

  describe('interoperability with NestJS KafkaReplyPartitionAssigner', () => {
    const scenarios: Scenario[] = [
      {
        name: 'one member, one topic of 3 partitions',
        partitions: { 'math.sum.reply': [0, 1, 2] },
        members: [{ id: 'a', previous: {} }],
      },
      {
        name: 'three new members, one partition',
        partitions: { 'math.sum.reply': [0] },
        members: ['c', 'a', 'b'].map((id) => ({ id, previous: {} })),
      },
      {
        name: 'a member joins two members holding partitions',
        partitions: { 'math.sum.reply': [0, 1, 2, 3] },
        members: [
          { id: 'x', previous: { 'math.sum.reply': 3 } },
          { id: 'm', previous: { 'math.sum.reply': 0 } },
          { id: 'a', previous: {} },
        ],
      },
      {
        name: 'a member left its partitions behind',
        partitions: { 'math.sum.reply': [0, 1, 2, 3, 4] },
        members: [
          { id: 'b', previous: { 'math.sum.reply': 4 } },
          { id: 'a', previous: { 'math.sum.reply': 2 } },
        ],
      },
      {
        name: 'two topics, partial claims, unsorted metadata',
        partitions: { 'math.sum.reply': [2, 0, 1], 'hero.kill.reply': [1, 3, 0, 2] },
        members: [
          { id: 'client-2', previous: { 'hero.kill.reply': 3 } },
          { id: 'client-1', previous: { 'math.sum.reply': 1, 'hero.kill.reply': 0 } },
          { id: 'client-3', previous: {} },
        ],
      },
      {
        name: 'more members than partitions on every topic',
        partitions: { 'math.sum.reply': [0, 1], 'hero.kill.reply': [0] },
        members: ['d', 'c', 'b', 'a'].map((id) => ({ id, previous: {} })),
      },
    ];
    const random = seededRandom(0x5eed);
    const generated = Array.from({ length: 200 }, (_, index) => generateScenario(random, index));

    for (const scenario of scenarios) {
      it(`assigns exactly as NestJS: ${scenario.name}`, async () => {
        const ours = await assignWith(createOurs(scenario.partitions).assigner, scenario);
        const nest = await assignWith(createNest(scenario.partitions), scenario);
        expect(decodeAssignments(ours)).to.deep.equal(decodeAssignments(nest));
        expect(ours).to.deep.equal(nest);
      });
    }

    it(`assigns exactly as NestJS in ${generated.length} generated groups`, async () => {
      for (const scenario of generated) {
        const ours = await assignWith(createOurs(scenario.partitions).assigner, scenario);
        const nest = await assignWith(createNest(scenario.partitions), scenario);
        expect(ours, JSON.stringify(scenario)).to.deep.equal(nest);
      }
    });

    it('agrees with NestJS whoever leads a mixed group through joins and departures', async () => {
      const partitions = { 'math.sum.reply': [0, 1, 2], 'hero.kill.reply': [0, 1] };
      const topics = Object.keys(partitions);
      interface MixedMember {
        readonly id: string;
        readonly kind: 'nest' | 'rxkafka';
        previous: Record<string, number>;
      }
      const toPrevious = (assignment: Assignment) => {
        const assignments = new ReplyAssignments();
        assignments.update(assignment);
        return assignments.toPreviousAssignment();
      };
      const protocolOf = (mixed: MixedMember): GroupMember => {
        const metadata =
          mixed.kind === 'nest'
            ? createNest(partitions, mixed.previous).protocol({ topics, userData: Buffer.alloc(0) }).metadata
            : createOurs(
                partitions,
                Object.fromEntries(Object.entries(mixed.previous).map(([t, p]) => [t, [p]])),
              ).assigner.protocol({ topics }).metadata;
        return { memberId: mixed.id, memberMetadata: metadata };
      };

      let group: MixedMember[] = [
        { id: 'nest-b', kind: 'nest', previous: {} },
        { id: 'rx-a', kind: 'rxkafka', previous: {} },
      ];
      const steps: Array<(current: MixedMember[]) => MixedMember[]> = [
        (current) => [...current, { id: 'nest-0', kind: 'nest', previous: {} }],
        (current) => [...current, { id: 'rx-z', kind: 'rxkafka', previous: {} }],
        (current) => current.filter(({ id }) => id !== 'rx-a'),
        (current) => current.filter(({ id }) => id !== 'nest-0'),
        (current) => [...current, { id: 'rx-c', kind: 'rxkafka', previous: {} }],
      ];
      const held: Array<Record<string, Assignment>> = [];
      for (const step of [(current: MixedMember[]) => current, ...steps]) {
        group = step(group);
        const members = group.map(protocolOf);
        const ledByUs = decodeAssignments(await createOurs(partitions).assigner.assign({ members, topics }));
        const ledByNest = decodeAssignments(await createNest(partitions).assign({ members, topics }));
        expect(ledByUs).to.deep.equal(ledByNest);
        for (const mixed of group) mixed.previous = toPrevious(ledByUs[mixed.id]);
        held.push(ledByUs);
      }
      // Stickiness across the run: a member present before and after a rebalance still holds the
      // partition it was told to use for replies.
      held.slice(1).forEach((after, index) => {
        const before = held[index];
        for (const [memberId, assignment] of Object.entries(after)) {
          for (const [topic, partition] of Object.entries(toPrevious(before[memberId] ?? {}))) {
            expect(assignment[topic], `${memberId} ${topic} at step ${index + 1}`).to.include(partition);
          }
        }
      });
    });
  });
});
