import { Observable, OperatorFunction } from 'rxjs';

/** One reply the server writes: a value, or an error; `isDisposed` marks the last one of a request. */
export interface ServerReply {
  readonly response?: unknown;
  readonly error?: unknown;
  readonly isDisposed: boolean;
}

/**
 * Turns a handler's stream into reply packets, holding each value back until the next one or the end
 * arrives, so that `isDisposed` rides on the last value itself. NestJS's `Server.send` merges it only when
 * completion comes in the same tick; otherwise it sends a separate `null` packet, which a NestJS client
 * surfaces as a trailing `null` emission. The price is that a slow stream's value leaves when the next one
 * is produced (synchronous and Promise results are not delayed).
 *
 * An empty stream gives one `null` reply with `isDisposed` (NestJS 12; 10 and 11 send nothing and hang).
 * An error after values sends the held value, then the error as the final packet.
 * `shouldRethrow(error, valuesSeen)` lets the caller turn an error into a redelivery instead of a reply
 * (NestJS's KafkaRetriableException before the first value): the error is rethrown and nothing held is sent.
 */
export function toReplyPackets(
  shouldRethrow: (error: unknown, valuesSeen: number) => boolean = () => false,
): OperatorFunction<unknown, ServerReply> {
  return (source) =>
    new Observable<ServerReply>((subscriber) => {
      let held: { value: unknown } | undefined;
      let valuesSeen = 0;
      return source.subscribe({
        next: (value) => {
          if (held) subscriber.next({ response: held.value, isDisposed: false });
          held = { value };
          valuesSeen += 1;
        },
        error: (error: unknown) => {
          if (shouldRethrow(error, valuesSeen)) {
            subscriber.error(error);
            return;
          }
          if (held) subscriber.next({ response: held.value, isDisposed: false });
          subscriber.next({ error, isDisposed: true });
          subscriber.complete();
        },
        complete: () => {
          subscriber.next({ response: held ? held.value : null, isDisposed: true });
          subscriber.complete();
        },
      });
    });
}
