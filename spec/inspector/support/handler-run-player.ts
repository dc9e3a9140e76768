/**
 * Plays handler runs into the catalog's publish points as the event and request paths do: a handler
 * descriptor and a record context per record, the same objects from a run's start to its end.
 */
import {
  publishHandlerEnd,
  publishHandlerError,
  publishHandlerStart,
} from '../../../lib/diagnostics/publish-diagnostics';
import type { HandlerLike, RecordContextLike } from '../../../lib/diagnostics/handler-run';

export interface PlayedRun {
  readonly offset: string;
  readonly key?: string;
  /** `Controller.method`. @defaultValue 'Ledger.post' */
  readonly handler?: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly kind?: 'request' | 'event';
  readonly correlationId?: string;
}

export class HandlerRunPlayer {
  readonly #handlers = new Map<string, HandlerLike>();
  readonly #contexts = new Map<string, RecordContextLike>();

  constructor(private readonly pattern = 'ledger') {}

  start(run: PlayedRun): void {
    publishHandlerStart(run.kind ?? 'event', this.#handler(run), this.#context(run), run.correlationId);
  }

  fail(run: PlayedRun, error: unknown): void {
    publishHandlerError(
      run.kind ?? 'event',
      this.#handler(run),
      this.#context(run),
      error,
      run.correlationId,
    );
  }

  end(run: PlayedRun): void {
    publishHandlerEnd(run.kind ?? 'event', this.#handler(run), this.#context(run), run.correlationId);
  }

  #handler({ handler = 'Ledger.post' }: PlayedRun): HandlerLike {
    let descriptor = this.#handlers.get(handler);
    if (!descriptor) {
      const [controller, method] = handler.split('.');
      descriptor = { controller, method, pattern: this.pattern };
      this.#handlers.set(handler, descriptor);
    }
    return descriptor;
  }

  #context({ topic = this.pattern, partition = 0, offset, key }: PlayedRun): RecordContextLike {
    const id = `${topic}/${partition}/${offset}/${key ?? ''}`;
    let context = this.#contexts.get(id);
    if (!context) {
      const message = key === undefined ? { topic, partition, offset } : { topic, partition, offset, key };
      context = { getMessage: () => message };
      this.#contexts.set(id, context);
    }
    return context;
  }
}
