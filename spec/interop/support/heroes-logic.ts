import { interval, map, Observable, take } from 'rxjs';

/**
 * The logic of the heroes controllers, shared so that the NestJS and the rxkafka controller differ only in
 * their framework's decorators and exceptions.
 */

/** What the heroes event handlers received, in order. */
export interface HeroesSeen {
  readonly events: unknown[];
  readonly audit: unknown[];
  readonly batch: unknown[];
}

export function createHeroesSeen(): HeroesSeen {
  return { events: [], audit: [], batch: [] };
}

export function sumNumbers(numbers: unknown): number {
  return (numbers as number[]).reduce((a, b) => a + b, 0);
}

/** `count` values `item-<i>`, a few milliseconds apart; completes with the last one (same tick). */
export function streamItems(count: unknown): Observable<string> {
  return interval(5).pipe(
    take(Number(count)),
    map((i) => `item-${i}`),
  );
}

/**
 * Two values, then completion a quarter second later: NestJS sends that completion as a separate message
 * once the last value has left its send buffer. (At 20 ms, on a loaded machine, the last value could still
 * wait there, and NestJS 11 then marked it as the end too, as NestJS 12 often does.)
 */
export function streamEndingLate(): Observable<string> {
  return new Observable<string>((subscriber) => {
    subscriber.next('first');
    subscriber.next('second');
    const timer = setTimeout(() => subscriber.complete(), 250);
    return () => clearTimeout(timer);
  });
}

/** A binary reply whose first byte is 0x00: parsers on both sides keep it a Buffer. */
export function createBinaryReply(): Buffer {
  return Buffer.from([0x00, 0x01, 0x02, 0xff]);
}

/** A class instance as a reply: NestJS 11 sends it as JSON (10 sent `"[object Object]"`). */
export class Hero {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}

/** The reply envelope of `keyed`: a key and headers derived from the request's own key and headers. */
export function toKeyedReply(
  data: unknown,
  message: { key: unknown; headers: Record<string, unknown> | undefined },
): { key: string; value: unknown; headers: Record<string, string> } {
  const trace = String(message.headers?.trace);
  return {
    key: `reply-${String(message.key)}`,
    value: { heroId: (data as { heroId: number }).heroId, trace },
    headers: { realm: 'heroes', trace },
  };
}
