import { AssignerProtocol } from './kafkajs-library';
import type {
  Assigner,
  Cluster,
  GroupMember,
  GroupMemberAssignment,
  Logger as KafkaLogger,
  PartitionAssigner,
} from 'kafkajs';

/** The group protocol name NestJS `ClientKafka` registers; every member of a reply group must use it. */
export const REPLY_PARTITION_ASSIGNER_NAME = 'NestReplyPartitionAssigner';

/** The version NestJS writes in member metadata and member assignments. */
export const REPLY_PARTITION_ASSIGNER_VERSION = 1;

/** What the leader could read from one member's join metadata. */
interface MemberClaims {
  readonly memberId: string;
  /** The member's subscription; `undefined` when its metadata was unreadable. */
  readonly topics: ReadonlySet<string> | undefined;
  /** `{ [replyTopic]: partition }` the member held before this rebalance, unvalidated. */
  readonly previousAssignment: Readonly<Record<string, unknown>>;
}

interface TopicPartition {
  readonly topic: string;
  readonly partitionId: number;
}

interface AssignContext {
  readonly cluster: Pick<Cluster, 'findTopicPartitionMetadata'>;
  readonly groupId: string;
  readonly logger: Pick<KafkaLogger, 'warn'>;
}

/** One member's share of the new assignment; topics are the group topics it subscribed to. */
interface MemberPlan {
  readonly member: MemberClaims;
  readonly partitionsByTopic: Map<string, number[]>;
}

/**
 * Creates the kafkajs partition assigner of the reply consumer. It speaks NestJS's
 * `NestReplyPartitionAssigner` protocol (helpers/kafka-reply-partition-assigner.ts, v1): `protocol()` sends
 * `assignments.toPreviousAssignment()` as `{"previousAssignment":{...}}` userData, and `assign()` (run when
 * this member leads) gives each member back the partition it held, so replies in flight still reach their
 * requester. Groups that mix NestJS `ClientKafka` and rxkafka members get the same assignment whoever leads.
 * `assign()` never throws on a member's metadata: unreadable parts are logged through kafkajs's logger.
 */
/** Where the assigner reads this member's reply partitions from (the client's `ReplyAssignments`). */
export interface PreviousAssignmentSource {
  /** Reply topic → the partition this member held, sent to the group leader so it keeps it. */
  toPreviousAssignment(): Record<string, number>;
}

export function createReplyPartitionAssigner(assignments: PreviousAssignmentSource): PartitionAssigner {
  return ({ cluster, groupId, logger }): Assigner => ({
    name: REPLY_PARTITION_ASSIGNER_NAME,
    version: REPLY_PARTITION_ASSIGNER_VERSION,
    protocol: ({ topics }) => ({
      name: REPLY_PARTITION_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: REPLY_PARTITION_ASSIGNER_VERSION,
        topics,
        userData: Buffer.from(JSON.stringify({ previousAssignment: assignments.toPreviousAssignment() })),
      }),
    }),
    assign: async ({ members, topics }) => {
      const context: AssignContext = { cluster, groupId, logger };
      const claims = members.map((member) => decodeMember(member, context));
      return encodePlan(planAssignment(claims, topics, context));
    },
  });
}

/**
 * Nest's algorithm: sorted member ids; a sticky pass returning each member's previous partition; a fill
 * pass giving members without a partition of a topic the first free one; the rest round-robin. When every
 * member subscribes to every topic and the claims are valid and distinct, the result is byte-identical to
 * Nest's, so a mixed group gets the same assignment whichever kind of member leads.
 *
 * Nest gives every member every group topic and relies on kafkajs dropping unsubscribed ones on the
 * follower ("Consumer group received unsubscribed topics", consumer/consumerGroup.js), which orphans those
 * partitions. Here a member only gets topics it subscribed to. That stays interoperable: followers accept
 * whatever the leader sends without checking how it was chosen, and a Nest follower's `GROUP_JOIN` payload
 * (the source of its `previousAssignment`) is already filtered to its subscription, so it sees the same kind
 * of assignment either way, only without partitions lost to members that would drop them.
 */
function planAssignment(claims: MemberClaims[], topics: string[], context: AssignContext): MemberPlan[] {
  const plans = [...claims]
    .sort((a, b) => compareIds(a.memberId, b.memberId))
    .map((member) => ({
      member,
      partitionsByTopic: new Map<string, number[]>(
        topics.filter((topic) => member.topics?.has(topic) ?? true).map((topic) => [topic, []]),
      ),
    }));
  const partitionIds = new Map(topics.map((topic) => [topic, readPartitionIds(topic, context)]));
  const pool: TopicPartition[] = topics.flatMap((topic) =>
    (partitionIds.get(topic) ?? []).map((partitionId) => ({ topic, partitionId })),
  );
  grantPreviousPartitions(plans, pool, partitionIds, context);
  fillEmptyTopics(plans, pool);
  spreadRemainder(plans, pool);
  return plans;
}

function grantPreviousPartitions(
  plans: MemberPlan[],
  pool: TopicPartition[],
  partitionIds: ReadonlyMap<string, number[]>,
  context: AssignContext,
): void {
  for (const { member, partitionsByTopic } of plans) {
    for (const [topic, partitions] of partitionsByTopic) {
      if (!Object.hasOwn(member.previousAssignment, topic)) continue;
      const claimed = member.previousAssignment[topic];
      const taken = takeFromPool(pool, (tp) => tp.topic === topic && tp.partitionId === claimed);
      if (taken) {
        partitions.push(taken.partitionId);
        continue;
      }
      // Nest grants every claim blindly. A claim of a partition the topic does not have (or of `null`, which
      // Nest clients once sent for an empty assignment) crashed its leader with "value should be an instance
      // of Encoder" (nestjs/nest#11688). A claim already granted to an earlier member made two consumers share
      // a partition while a free one could go round-robin to a member that had one, the kind of imbalance
      // reported in nestjs/nest#12355. Such a member goes to the fill pass instead, like a new one.
      const exists = partitionIds.get(topic)?.some((id) => id === claimed) ?? false;
      context.logger.warn(
        exists
          ? 'reply partition claimed by two group members: the first member id in sorted order keeps it'
          : 'reply partition claimed by a group member does not exist in the topic: ignoring the claim',
        { groupId: context.groupId, memberId: member.memberId, topic, partition: claimed },
      );
    }
  }
}

function fillEmptyTopics(plans: MemberPlan[], pool: TopicPartition[]): void {
  for (const { partitionsByTopic } of plans) {
    for (const [topic, partitions] of partitionsByTopic) {
      if (partitions.length > 0) continue;
      const taken = takeFromPool(pool, (tp) => tp.topic === topic);
      if (taken) partitions.push(taken.partitionId);
    }
  }
}

/**
 * Nest's round-robin index runs over the whole remaining pool, across topics; keeping it keeps the output
 * identical. Group topics are the leader's own subscription (kafkajs consumerGroup.js), so every topic has
 * at least one taker.
 */
function spreadRemainder(plans: MemberPlan[], pool: TopicPartition[]): void {
  pool.forEach(({ topic, partitionId }, index) => {
    const takers = plans.filter(({ partitionsByTopic }) => partitionsByTopic.has(topic));
    takers[index % takers.length]?.partitionsByTopic.get(topic)?.push(partitionId);
  });
}

function encodePlan(plans: MemberPlan[]): GroupMemberAssignment[] {
  return plans.map(({ member, partitionsByTopic }) => ({
    memberId: member.memberId,
    memberAssignment: AssignerProtocol.MemberAssignment.encode({
      version: REPLY_PARTITION_ASSIGNER_VERSION,
      assignment: Object.fromEntries(partitionsByTopic),
      userData: Buffer.alloc(0),
    }),
  }));
}

/**
 * Nest's leader throws on a member whose userData is not JSON holding `previousAssignment` (and so fails
 * the whole rebalance); such a member is treated here as one joining for the first time.
 */
function decodeMember({ memberId, memberMetadata }: GroupMember, context: AssignContext): MemberClaims {
  const metadata = readMemberMetadata(memberMetadata);
  if (metadata === undefined) {
    context.logger.warn('unreadable group member metadata: assigning the member as a new one on all topics', {
      groupId: context.groupId,
      memberId,
    });
    return { memberId, topics: undefined, previousAssignment: {} };
  }
  const previousAssignment = readPreviousAssignment(metadata.userData);
  if (previousAssignment === undefined) {
    context.logger.warn(
      `group member metadata has no ${REPLY_PARTITION_ASSIGNER_NAME} previousAssignment: assigning the member as a new one`,
      { groupId: context.groupId, memberId },
    );
  }
  return { memberId, topics: new Set(metadata.topics), previousAssignment: previousAssignment ?? {} };
}

function readMemberMetadata(buffer: Buffer): { topics: string[]; userData: unknown } | undefined {
  try {
    return AssignerProtocol.MemberMetadata.decode(buffer) ?? undefined;
  } catch {
    return undefined;
  }
}

function readPreviousAssignment(userData: unknown): Record<string, unknown> | undefined {
  // kafkajs decodes a null BYTES field (length -1) as null, whatever its types say.
  if (!Buffer.isBuffer(userData)) return undefined;
  try {
    const parsed: unknown = JSON.parse(userData.toString());
    if (!isRecord(parsed)) return undefined;
    return isRecord(parsed.previousAssignment) ? parsed.previousAssignment : undefined;
  } catch {
    return undefined;
  }
}

function readPartitionIds(topic: string, context: AssignContext): number[] {
  return context.cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => partitionId);
}

function takeFromPool(
  pool: TopicPartition[],
  matches: (topicPartition: TopicPartition) => boolean,
): TopicPartition | undefined {
  const index = pool.findIndex(matches);
  return index === -1 ? undefined : pool.splice(index, 1)[0];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The order of `Array.prototype.sort()` on strings (UTF-16 code units), which Nest uses for member ids. */
function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
