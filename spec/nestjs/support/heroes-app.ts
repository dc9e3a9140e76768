import {
  Catch,
  Controller,
  Injectable,
  Module,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
  type RpcExceptionFilter,
  type Type,
} from '@nestjs/common';
import {
  Ctx,
  EventPattern,
  KafkaContext,
  MessagePattern,
  Payload,
  RpcException,
} from '@nestjs/microservices';
import { map, throwError, type Observable } from 'rxjs';
import type { HeroesSeen } from '../../interop/support/heroes-logic';
import { createNestHeroesController } from '../../interop/support/nest-heroes-controller';
import { nameHeroesTopics, type HeroesTopics } from '../../interop/support/heroes-topics';

/** The topics of one heroes app: the seed controller's, and the app's own (guarded, piped, filtered). */
export interface HeroesAppTopics extends HeroesTopics {
  /** `@MessagePattern` with a guard, a pipe, an interceptor and an exception filter. */
  readonly find: string;
  /** `@EventPattern` whose handler records through an injected provider. */
  readonly visit: string;
}

export function nameHeroesAppTopics(prefix: string): HeroesAppTopics {
  return { ...nameHeroesTopics(prefix), find: `${prefix}.hero.find`, visit: `${prefix}.hero.visit` };
}

/** The request patterns of the app (the seed's and its own), for `subscribeToResponseOf`. */
export function listAppRequestPatterns(topics: HeroesAppTopics): string[] {
  return [...Object.values(topics.request), topics.numeric, topics.event, topics.find];
}

/** A hero the repository does not hold; the app's exception filter turns it into its own payload. */
export class HeroNotFoundError extends Error {
  constructor(readonly id: number) {
    super(`no hero ${id}`);
  }
}

/** What the app's own parts saw: the provider's visits, and each part's calls (the order they ran in). */
export interface HeroesAppSeen extends HeroesSeen {
  readonly visits: unknown[];
  readonly calls: string[];
}

/**
 * A real NestJS application on `topics`: the seed's heroes controller unchanged, and a controller of its
 * own with a provider injected into its constructor, a custom pipe, a guard, an interceptor and an
 * `RpcExceptionFilter`, as a Nest user writes them.
 */
export function createHeroesAppModule(topics: HeroesAppTopics): { module: Type; seen: HeroesAppSeen } {
  const { controller: SeedController, seen: seedSeen } = createNestHeroesController(topics);
  const seen: HeroesAppSeen = Object.assign(seedSeen, { visits: [] as unknown[], calls: [] as string[] });

  @Injectable()
  class HeroRepository {
    readonly #heroes = new Map([
      [1, 'Ann'],
      [2, 'Bo'],
    ]);

    find(id: number): { id: number; name: string } {
      const name = this.#heroes.get(id);
      if (name === undefined) throw new HeroNotFoundError(id);
      return { id, name };
    }

    recordVisit(visit: unknown): void {
      seen.visits.push(visit);
    }
  }

  /** Rejects a payload without a positive integer `id`; Nest's RPC pipeline replies with the exception. */
  class HeroIdPipe implements PipeTransform {
    transform(value: unknown): { id: number; banned?: boolean } {
      seen.calls.push('pipe');
      const id = (value as { id?: unknown } | null)?.id;
      if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
        throw new RpcException({ code: 'BAD_HERO_ID', received: id ?? null });
      }
      return value as { id: number; banned?: boolean };
    }
  }

  /** Denies banned callers: Nest replies "Forbidden resource". */
  class NotBannedGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      seen.calls.push('guard');
      return (context.switchToRpc().getData() as { banned?: boolean } | null)?.banned !== true;
    }
  }

  /** Stamps each reply with the partition it answered, read from Nest's own KafkaContext. */
  class StampInterceptor implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      seen.calls.push('interceptor');
      const kafka = context.switchToRpc().getContext<KafkaContext>();
      return next.handle().pipe(map((reply: object) => ({ ...reply, partition: kafka.getPartition() })));
    }
  }

  @Catch(HeroNotFoundError)
  class HeroNotFoundFilter implements RpcExceptionFilter<HeroNotFoundError> {
    catch(exception: HeroNotFoundError, _host: ArgumentsHost): Observable<never> {
      seen.calls.push('filter');
      return throwError(() => ({ code: 'HERO_NOT_FOUND', id: exception.id }));
    }
  }

  @Controller()
  class HeroesAppController {
    constructor(private readonly heroes: HeroRepository) {}

    @MessagePattern(topics.find)
    @UseGuards(NotBannedGuard)
    @UseInterceptors(StampInterceptor)
    @UseFilters(HeroNotFoundFilter)
    find(
      @Payload(HeroIdPipe) query: { id: number },
      @Ctx() context: KafkaContext,
    ): { id: number; name: string } {
      seen.calls.push(`handler:${context instanceof KafkaContext ? 'KafkaContext' : 'other'}`);
      return this.heroes.find(query.id);
    }

    @EventPattern(topics.visit)
    visit(@Payload() visit: unknown): void {
      this.heroes.recordVisit(visit);
    }
  }

  @Module({ controllers: [SeedController, HeroesAppController], providers: [HeroRepository] })
  class HeroesAppModule {}

  return { module: HeroesAppModule, seen };
}
