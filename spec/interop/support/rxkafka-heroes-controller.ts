import { concat, EMPTY, Observable, of, throwError } from 'rxjs';
import {
  Controller,
  Ctx,
  EventPattern,
  KafkaContext,
  MessagePattern,
  Payload,
  RpcException,
} from '../../../lib';
import type { ControllerClass } from '../../../lib/handlers/controller';
import {
  createBinaryReply,
  createHeroesSeen,
  Hero,
  streamEndingLate,
  streamItems,
  sumNumbers,
  toKeyedReply,
  type HeroesSeen,
} from './heroes-logic';
import type { HeroesTopics } from './heroes-topics';

/**
 * The heroes controller written for rxkafka (its decorators and `RpcException`), on the topics of `topics`:
 * the same logic as `createNestHeroesController`, plus an `empty` handler.
 */
export function createRxKafkaHeroesController(topics: HeroesTopics): {
  controller: ControllerClass;
  seen: HeroesSeen;
} {
  const seen = createHeroesSeen();
  const { request } = topics;

  @Controller()
  class RxKafkaHeroesController {
    @MessagePattern(request.sum)
    sum(@Payload() numbers: unknown): number {
      return sumNumbers(numbers);
    }

    @MessagePattern(request.echo)
    async echo(@Payload() data: unknown): Promise<unknown> {
      return data;
    }

    @MessagePattern(request.stream)
    stream(@Payload() count: unknown): Observable<string> {
      return streamItems(count);
    }

    @MessagePattern(request['late-end'])
    lateEnd(): Observable<string> {
      return streamEndingLate();
    }

    @MessagePattern(request.binary)
    binary(): Buffer {
      return createBinaryReply();
    }

    @MessagePattern(request.instance)
    instance(): Hero {
      return new Hero(7, 'Ann');
    }

    @MessagePattern(request.void)
    nothing(): void {
      return undefined;
    }

    @MessagePattern(request.empty)
    empty(): Observable<never> {
      return EMPTY;
    }

    @MessagePattern(request['fail.string'])
    failString(): never {
      throw new RpcException('bad input');
    }

    @MessagePattern(request['fail.object'])
    failObject(): Observable<never> {
      return throwError(() => new RpcException({ code: 42, message: 'nope' }));
    }

    @MessagePattern(request['fail.unknown'])
    async failUnknown(): Promise<never> {
      throw new Error('database password is hunter2');
    }

    @MessagePattern(request['fail.midstream'])
    failMidstream(): Observable<string> {
      return concat(
        of('partial'),
        throwError(() => new RpcException('broke after one')),
      );
    }

    @MessagePattern(request.keyed)
    keyed(@Payload() data: unknown, @Ctx() context: KafkaContext) {
      const message = context.getMessage();
      return toKeyedReply(data, { key: message.key, headers: message.headers });
    }

    /** Reached only without the route header: the specs route its requests to a pattern nobody handles. */
    @MessagePattern(request.routed)
    routed(): string {
      return 'routed here';
    }

    @MessagePattern(topics.numeric)
    numeric(): string {
      return 'found';
    }

    @EventPattern(topics.event)
    onEvent(@Payload() data: unknown): void {
      seen.events.push(data);
    }

    @EventPattern(topics.event)
    auditEvent(@Payload() data: unknown): Observable<void> {
      seen.audit.push(data);
      return of(undefined);
    }

    @EventPattern(topics.batch)
    onBatch(@Payload() data: unknown): void {
      seen.batch.push(data);
    }
  }
  return { controller: RxKafkaHeroesController, seen };
}
