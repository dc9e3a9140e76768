import type { ReplyGroupMember } from './reply-group-member';

/** What a load run saw: every request ends up in `replied` or in `failures`. */
export interface LoadStats {
  sent: number;
  replied: number;
  readonly failures: Array<{ id: string; error: unknown }>;
}

/** A running load; `stop()` lets each request in flight finish, then resolves. */
export interface RequestLoad {
  readonly stats: LoadStats;
  stop(): Promise<void>;
}

/**
 * Keeps `concurrency` requests in flight on `member` until stopped. Each request carries a unique id and
 * counts as replied only when the reply echoes that id (a reply routed to the wrong request fails).
 */
export function startRequestLoad(member: ReplyGroupMember, concurrency = 3): RequestLoad {
  const stats: LoadStats = { sent: 0, replied: 0, failures: [] };
  let stopped = false;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const id = `${member.name}-${next++}`;
      stats.sent += 1;
      try {
        const reply = await member.request({ id });
        if ((reply as { id?: unknown } | null)?.id !== id)
          throw new Error(`reply ${JSON.stringify(reply)} for ${id}`);
        stats.replied += 1;
      } catch (error) {
        stats.failures.push({ id, error });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    stats,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
    },
  };
}
