/**
 * (q) `--group-heartbeat-ms`: the heartbeat a KIP-848 group's members are told to keep. Under KIP-848 the
 * broker hands a moved partition to its new owner in that member's next heartbeat response (and asks the old
 * owner to let go in its own), so the interval bounds how long a moving partition stops; the broker's
 * default is 5 s. Kafka 4 sets it per group (`consumer.heartbeat.interval.ms`, a GROUP config resource), no
 * lower than the broker's `group.consumer.min.heartbeat.interval.ms` (lib/testing's broker allows 1 s).
 * kafkajs's classic members choose their own (`consumer.heartbeatInterval`); run-rebalance-once.ts gives
 * them the same figure.
 */
import type { Admin } from '@platformatic/kafka' with { 'resolution-mode': 'import' };

type Library = typeof import('@platformatic/kafka', { with: { 'resolution-mode': 'import' } });

/** Kafka's GROUP config resource type (KIP-848's group configs). */
const GROUP_RESOURCE = 32;
/** IncrementalAlterConfigs' SET operation. */
const SET = 0;

/** Sets `groupId`'s heartbeat interval at the broker, before any member joins. */
export async function setConsumerGroupHeartbeat(
  brokers: readonly string[],
  groupId: string,
  intervalMs: number,
): Promise<void> {
  // The ES module, loaded with `require()` from this CommonJS build (Node 20.19+).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Admin: AdminClient } = require('@platformatic/kafka') as Library;
  const admin: Admin = new AdminClient({ clientId: 'bench-group-config', bootstrapBrokers: [...brokers] });
  try {
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: GROUP_RESOURCE,
          resourceName: groupId,
          configs: [
            { name: 'consumer.heartbeat.interval.ms', configOperation: SET, value: String(intervalMs) },
          ],
        },
      ],
    });
  } catch (error) {
    throw new Error(
      `--group-heartbeat-ms ${intervalMs}: the broker refused consumer.heartbeat.interval.ms for group ` +
        `${groupId} (is it below the broker's group.consumer.min.heartbeat.interval.ms, 5000 by default?)`,
      { cause: error },
    );
  } finally {
    await admin.close();
  }
}
