/**
 * A classic group member that could not leave its group because its coordinator died: on a restart, its
 * connections are closed and it is taken out of the group from a new client before the consumer that
 * replaces it joins.
 *
 * Why: @platformatic/kafka looks a consumer's group coordinator up once and keeps it for the consumer's life
 * (consumer.js #findGroupCoordinator, 1.35.0: #coordinatorId is set once and never cleared), so once that
 * broker is dead every group request of the consumer still goes to it: heartbeats and commits retry it for
 * their whole schedule, and its LeaveGroup fails (a refused connection, or a TypeError thrown at once when the
 * metadata no longer names the broker, consumer.js #performGroupOperation). The member then stays in the group
 * at the new coordinator until its session times out (60 s by default), and the consumer built to replace it
 * waits that long in JoinGroup: in spec/reliability/leader-loss.spec.ts, with the killed broker the group's
 * coordinator too, the JoinGroup timed out at 30 s, the restart began again, and no partition was read for
 * ~57 s. kafkajs finds the new coordinator and leaves. So when the leave fails, the member is removed through
 * a new Admin, which finds the coordinator afresh (LeaveGroup naming the member).
 */
import type { PlatformaticKafka } from './platformatic-library';
import type { PlatformaticBaseOptions } from './platformatic-options';

/**
 * How many times the removal's requests are retried: the coordinator may still be moving (Kafka answers
 * COORDINATOR_NOT_AVAILABLE or COORDINATOR_LOAD_IN_PROGRESS meanwhile), but a cluster that cannot be reached
 * must not hold the restart back for the user's whole retry schedule. kafkajs's default number of retries.
 */
export const MEMBER_REMOVAL_RETRIES = 5;

/** @platformatic/kafka's Consumer, as far as closing it goes. */
export interface ClosableMember {
  readonly memberId?: string | null;
  close(force: boolean, callback: (error?: Error | null) => void): void;
}

/**
 * Closes `native`, leaving its group. True when it left; false when the leave failed (the library then keeps
 * the consumer open: `close()` closes its connections only after a leave that succeeded).
 */
export function closeLeavingGroup(native: ClosableMember): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    try {
      native.close(true, (error) => resolve(!error));
    } catch {
      // The TypeError of a LeaveGroup to a coordinator the metadata no longer names, thrown synchronously.
      resolve(false);
    }
  });
}

/** What is done with a consumer that could not leave its group. */
export interface StrandedMemberSteps {
  /** Takes the member out of its group from another client. */
  readonly removeMember: (memberId: string) => Promise<void>;
  /** Closes the consumer's connections without leaving (see closeWithoutLeaving). */
  readonly closeConnections: (native: ClosableMember) => Promise<void>;
}

/**
 * Closes `native` leaving its group; when it could not leave, closes its connections and removes its member.
 * Never rejects: a member not removed is dropped by its coordinator when its session times out.
 */
export async function closeOrRemoveMember(
  native: ClosableMember,
  { removeMember, closeConnections }: StrandedMemberSteps,
): Promise<void> {
  const memberId = native.memberId;
  if (await closeLeavingGroup(native)) return;
  await closeConnections(native).catch(() => undefined);
  if (!memberId) return;
  await removeMember(memberId).catch(() => undefined);
}

/**
 * Closes the connections of a consumer whose leave failed. The library's `close()` stops at the failed leave
 * and keeps the consumer open, and its group requests keep retrying the dead coordinator: a commit in flight
 * held the server's close for the user's whole retry schedule (~2 min in the leader-loss spec). The close of
 * the library's base client, the one its consumer runs once it left, ends that: it closes the connections
 * and emits `client:close`, on which a request waiting for its next retry fails ("Client closed while
 * retrying").
 */
export function closeWithoutLeaving(library: PlatformaticKafka, native: ClosableMember): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      const close = library.Base.prototype.close as (this: unknown, callback: () => void) => void;
      close.call(native, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Removes `memberId` from classic group `groupId` through a new Admin, which finds the coordinator afresh. */
export async function removeGroupMember(
  library: PlatformaticKafka,
  base: PlatformaticBaseOptions,
  groupId: string,
  memberId: string,
): Promise<void> {
  const admin = new library.Admin({ ...base, retries: MEMBER_REMOVAL_RETRIES });
  try {
    await admin.removeMembersFromConsumerGroup({
      groupId,
      members: [{ memberId, reason: 'rxkafka: the member could not leave, its coordinator was lost' }],
    });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
