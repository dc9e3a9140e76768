import { Controller, Module, type Type } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';

/** The topics of one work app. */
export interface WorkTopics {
  /** `@EventPattern` whose handler throws on a record `{ poison: true }`. */
  readonly poison: string;
  /** `@EventPattern` whose handler waits on `WorkHooks.wait` (slow I/O). */
  readonly slow: string;
  /** `@MessagePattern` whose handler waits on `WorkHooks.wait`, then answers. */
  readonly request: string;
}

export function nameWorkTopics(prefix: string): WorkTopics {
  return { poison: `${prefix}.poison`, slow: `${prefix}.slow`, request: `${prefix}.request` };
}

/** What the app's handlers did, and the wait its slow handlers share. */
export interface WorkHooks {
  /** The slow handlers' I/O: a gate a spec opens, or a short sleep. */
  wait: (item: unknown) => Promise<void>;
  readonly poisonSeen: unknown[];
  /** Slow handlers running now, and the most that ever ran at once. */
  inFlight: number;
  maxInFlight: number;
  /** Slow handlers finished. */
  finished: number;
  readonly requestsStarted: unknown[];
}

export function createWorkHooks(wait: WorkHooks['wait']): WorkHooks {
  return { wait, poisonSeen: [], inFlight: 0, maxInFlight: 0, finished: 0, requestsStarted: [] };
}

/** A NestJS module whose handlers show poison records, slow handlers and in-flight requests. */
export function createWorkModule(topics: WorkTopics, hooks: WorkHooks): Type {
  @Controller()
  class WorkController {
    @EventPattern(topics.poison)
    poison(@Payload() item: { poison?: boolean }): void {
      hooks.poisonSeen.push(item);
      if (item.poison) throw new Error('cannot digest this record');
    }

    @EventPattern(topics.slow)
    async slow(@Payload() item: unknown): Promise<void> {
      hooks.inFlight += 1;
      hooks.maxInFlight = Math.max(hooks.maxInFlight, hooks.inFlight);
      try {
        await hooks.wait(item);
      } finally {
        hooks.inFlight -= 1;
        hooks.finished += 1;
      }
    }

    @MessagePattern(topics.request)
    async request(@Payload() item: unknown): Promise<unknown> {
      hooks.requestsStarted.push(item);
      await hooks.wait(item);
      return { done: item };
    }
  }

  @Module({ controllers: [WorkController] })
  class WorkModule {}
  return WorkModule;
}
