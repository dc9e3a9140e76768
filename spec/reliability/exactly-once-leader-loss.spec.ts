import { expect } from 'chai';
import type { Admin, Kafka } from 'kafkajs';
import { toPerPartitionTransactionalId } from '../../lib/exactly-once/per-partition-transactional-id';
import { processExactlyOnce, silentLogger, type ExactlyOnceProcessor } from '../../lib';
import { uniqueName } from '../support/kafka-fixtures';
import { itUnlessKafkajs, SPEC_DRIVER, specDriver } from '../support/spec-driver';
import { eventually, sleep } from './support/eventually';
import { usePrivateKafka } from './support/private-kafka';
import { createRawKafka, createTopicsOn } from './support/raw-kafka';

const INPUTS = 3_000;
/** Long enough to outlast the fencing of a dead broker and the leader election (as leader-loss.spec.ts). */
const GENEROUS_RETRY = { retries: 60, initialRetryTime: 200, maxRetryTime: 2_000 };
/**
 * From the kill to every input committed. With the library's own retries a transaction's send to the dead
 * leader retries it for the whole schedule above (about 115 s); a new leader is elected within seconds.
 */
const RECOVERY_MS = 90_000;

describe('processExactlyOnce() with the leader of an output partition killed in a 3-broker cluster (reliability)', () => {
  // Started only where the case runs.
  const privateKafka =
    SPEC_DRIVER === 'platformatic' ? usePrivateKafka(3, { startMs: 240_000, stopMs: 90_000 }) : undefined;

  itUnlessKafkajs(
    // Diagnosed by reading every replica's log segments (Kafka's DumpLogSegments): kafkajs 2.2.4's sendMessages retries
    // by broker, so a send retried after the leader died writes records again under new sequence numbers and
    // skips a partition whose new leader had answered; the transaction then commits. The reader was right.
    "kafkajs's send, retried after the leader died, writes outputs twice and loses others in committed transactions",
    'gives a read_committed reader every input’s output exactly once, and commits every input',
    async function () {
      this.timeout(300_000);
      const brokers = [...privateKafka!().brokers];
      const raw = createRawKafka(brokers, { retry: GENEROUS_RETRY });
      const admin = raw.admin();
      const reader = raw.consumer({ groupId: uniqueName('eos-leader-reader') });
      // Each id's records, by where they are: the reader itself may read a record again (its group's offsets
      // lag what it read when the leader it reads from dies), which is no second output.
      const seen = new Map<number, Set<string>>();
      let read = 0;
      let processor: ExactlyOnceProcessor | undefined;
      await admin.connect();
      // Only a partition leader dies: the victim coordinates neither the group nor a transaction, and holds no
      // input partition, so nothing but the sends of the transactions meets it.
      const input = uniqueName('eos-leader-in');
      const { victim, survivors, groupId, transactionalIdPrefix } = await chooseVictim(raw, admin, input);
      const output = uniqueName('eos-leader-out');
      const minInsync2 = [{ name: 'min.insync.replicas', value: '2' }];
      await createTopicsOn(brokers, [
        {
          topic: input,
          replicaAssignment: [0, 1, 2].map((partition) => ({ partition, replicas: [...survivors] })),
        },
        {
          topic: output,
          // Partition 0 led by the victim, replicated to all three; every transaction writes to it.
          replicaAssignment: [
            { partition: 0, replicas: [victim, ...survivors] },
            { partition: 1, replicas: [...survivors, victim] },
            { partition: 2, replicas: [survivors[1], survivors[0], victim] },
          ],
          configEntries: minInsync2,
        },
      ]);
      try {
        await produceInputs(raw, input);
        // kafkajs reads read_committed unless told otherwise.
        await reader.connect();
        await reader.subscribe({ topic: output, fromBeginning: true });
        await reader.run({
          eachMessage: async ({ partition, message }) => {
            const { id } = JSON.parse(String(message.value)) as { id: number };
            const places = seen.get(id) ?? new Set<string>();
            places.add(`${partition}@${message.offset}`);
            seen.set(id, places);
            read += 1;
          },
        });
        const committed = async (): Promise<number> => {
          const [answer] = await admin.fetchOffsets({ groupId, topics: [input] });
          return (answer?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
        };

        processor = processExactlyOnce({
          client: { brokers, clientId: groupId, retry: GENEROUS_RETRY },
          groupId,
          topics: [input],
          transactionalIdPrefix,
          fromBeginning: true,
          maxBatchRecords: 50,
          consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
          logger: silentLogger,
          ...specDriver(),
          transform: async ({ message }) => {
            // Slow enough that the kill lands mid-stream.
            await sleep(2);
            const { id } = JSON.parse(String(message.value)) as { id: number };
            // Not the input's key: an input partition's outputs then spread over every output partition, so
            // every producer's transactions write to the victim's.
            return { topic: output, key: `${id}-out`, value: { id } };
          },
        });
        await processor.start();

        await eventually(() => read >= 1_000, '1,000 outputs read before the kill', 120_000);
        const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: [output] })).topics;
        expect(partitions.find(({ partitionId }) => partitionId === 0)?.leader).to.equal(victim);
        const readBeforeKill = read;
        const killedAt = Date.now();
        await privateKafka!().stopNode(victim, 'SIGKILL');

        const progress: string[] = [];
        await eventually(
          async () => {
            const total = await committed();
            const second = Math.floor((Date.now() - killedAt) / 5_000) * 5;
            if (progress.length === 0 || !progress[progress.length - 1].startsWith(`+${second}s `))
              progress.push(`+${second}s ${total}`);
            return total === INPUTS;
          },
          `the group to commit all ${INPUTS} inputs within ${RECOVERY_MS} ms of the kill`,
          RECOVERY_MS,
          () => `${read} outputs read, ${seen.size} distinct; ${JSON.stringify(processor?.stats)}`,
        );
        const recoveredMs = Date.now() - killedAt;
        await eventually(
          () => seen.size === INPUTS,
          'every output read',
          60_000,
          () => `${seen.size} read; missing ${missingIds(seen).slice(0, 20).join(', ')}`,
        );
        // Every transaction ended: what the reader has not read yet, it reads now.
        await sleep(2_000);
        process.stdout.write(
          `      [exactly-once leader loss] ${INPUTS} inputs; node ${victim} (leader of ${output}/0) killed ` +
            `after ${readBeforeKill} outputs were read; every input committed ${recoveredMs} ms after the ` +
            `kill (committed: ${progress.join(', ')}); ${JSON.stringify(processor.stats)}\n`,
        );

        const missing = missingIds(seen);
        const twice = [...seen].filter(([, places]) => places.size > 1).map(([id]) => id);
        expect(missing, 'inputs without an output').to.deep.equal([]);
        expect(twice, 'inputs with two outputs').to.deep.equal([]);
      } finally {
        // Bounded: without a working retry a close would wait out the library's schedule.
        await Promise.race([processor?.close(), sleep(20_000)]);
        await reader.disconnect();
        await admin.disconnect();
      }
    },
  );
});

/** The input ids of which no output was read. */
function missingIds(seen: ReadonlyMap<number, unknown>): number[] {
  return Array.from({ length: INPUTS }, (_, id) => id).filter((id) => !seen.has(id));
}

/** Kafka's String.hashCode(), by which a group or transactional id picks its coordinator's partition. */
function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** The partition of Kafka's internal topic of `partitions` partitions that holds `key` (Utils.abs, then %). */
function coordinatorPartition(key: string, partitions: number): number {
  const hash = javaHashCode(key);
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions;
}

/** Each partition's leader of an internal topic, once it exists and every partition has one. */
async function leadersOf(admin: Admin, topic: string): Promise<Map<number, number>> {
  let leaders = new Map<number, number>();
  await eventually(async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    const partitions = metadata?.topics[0]?.partitions ?? [];
    leaders = new Map(partitions.map(({ partitionId, leader }) => [partitionId, leader]));
    return partitions.length > 0 && partitions.every(({ leader }) => leader >= 0);
  }, `${topic} to have its leaders`);
  return leaders;
}

/**
 * A node to kill, the two others, and a group id and transactional id prefix whose coordinators (the group's
 * and each input partition's transactional id's) are on the other two. The internal topics are made first
 * (a group's coordinator looked up, a transactional producer's InitProducerId).
 */
async function chooseVictim(
  raw: Kafka,
  admin: Admin,
  input: string,
): Promise<{ victim: number; survivors: [number, number]; groupId: string; transactionalIdPrefix: string }> {
  const warm = raw.producer({
    transactionalId: uniqueName('eos-leader-warm'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await warm.connect();
  // Its first transaction sends FindCoordinator and InitProducerId; it holds nothing to abort.
  await (await warm.transaction()).abort().catch(() => undefined);
  await warm.disconnect();
  // Looking a group's coordinator up creates the group offsets topic.
  await admin.describeGroups([uniqueName('eos-leader-warm')]);
  const groupLeaders = await leadersOf(admin, '__consumer_offsets');
  const transactionLeaders = await leadersOf(admin, '__transaction_state');
  const { brokers } = await admin.describeCluster();
  const nodes = brokers.map(({ nodeId }) => nodeId).sort();
  // The input partitions' transactional ids differ in their last character only: their coordinators are on
  // consecutive partitions of the transaction log (4), so the victim may lead at most one of them.
  const ledBy = (leaders: Map<number, number>, node: number): number =>
    [...leaders.values()].filter((leader) => leader === node).length;
  const victim = nodes.find(
    (node) => ledBy(transactionLeaders, node) <= 1 && ledBy(groupLeaders, node) < groupLeaders.size,
  );
  if (victim === undefined) throw new Error('every node leads two partitions of the transaction log');
  const [first, second] = nodes.filter((node) => node !== victim);
  const survivors: [number, number] = [first, second];
  const coordinator = (leaders: Map<number, number>, key: string): number | undefined =>
    leaders.get(coordinatorPartition(key, leaders.size));
  const transactionalIds = (prefix: string): string[] =>
    [0, 1, 2].map((partition) => toPerPartitionTransactionalId(prefix, input, partition));
  const groupId = nameAvoiding('eos-leader-group', (name) => coordinator(groupLeaders, name) === victim);
  const transactionalIdPrefix = nameAvoiding('eos-leader-tx', (prefix) =>
    transactionalIds(prefix).some((id) => coordinator(transactionLeaders, id) === victim),
  );
  return { victim, survivors, groupId, transactionalIdPrefix };
}

/** A unique name starting with `stem` for which `isOnVictim` is false (each try has at least 1 in 4). */
function nameAvoiding(stem: string, isOnVictim: (name: string) => boolean): string {
  for (let tries = 0; tries < 10_000; tries += 1) {
    const name = uniqueName(stem);
    if (!isOnVictim(name)) return name;
  }
  throw new Error(`no ${stem} name found whose coordinator is not the node to kill`);
}

/** Inputs `{ id }` for ids 0 … INPUTS − 1, keyed by id, each written once (an idempotent producer). */
async function produceInputs(raw: ReturnType<typeof createRawKafka>, topic: string): Promise<void> {
  const producer = raw.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < INPUTS; start += 500) {
      const ids = Array.from({ length: Math.min(500, INPUTS - start) }, (_, i) => start + i);
      await producer.send({
        topic,
        messages: ids.map((id) => ({ key: String(id), value: JSON.stringify({ id }) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
