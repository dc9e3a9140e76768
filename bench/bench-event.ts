/**
 * The event every implementation consumes: a JSON object of about 1 KB. Its fields avoid `pattern`, `data`
 * and `value`, which NestJS's request deserializer would read as an envelope.
 */
export interface BenchEvent {
  readonly id: number;
  readonly key: string;
  readonly ts: number;
  readonly body: string;
}

/** The record key of event `id`: spread over `keys` keys, so a partition holds many keys. */
export function toEventKey(id: number, keys: number): string {
  return `key-${id % keys}`;
}

/** The JSON value of event `id`, padded to about `valueBytes` bytes. */
export function createEventValue(id: number, keys: number, valueBytes: number): string {
  const bare = JSON.stringify({ id, key: toEventKey(id, keys), ts: Date.now(), body: '' });
  return JSON.stringify({
    id,
    key: toEventKey(id, keys),
    ts: Date.now(),
    body: 'x'.repeat(Math.max(0, valueBytes - bare.length)),
  });
}

/**
 * The trivial work of every event handler: read the fields and check them, which also proves each
 * implementation decoded the JSON value into an object. Throws on a malformed event.
 */
export function checkEvent(event: BenchEvent): void {
  if (typeof event?.id !== 'number' || typeof event.key !== 'string' || typeof event.body !== 'string') {
    throw new Error(`not a bench event: ${JSON.stringify(event)?.slice(0, 200)}`);
  }
}

/**
 * (r): whether event `id` fails on its first run. One event in each hundred (ids 100b to 100b + 99), at
 * place b mod 100 within it, so the failing events are 1 % of any run of hundreds and spread over 100 of
 * the 1,000 keys (`id % 100` alone would put them all on 10 keys).
 */
export function failsOnce(id: number): boolean {
  return id % 100 === Math.floor(id / 100) % 100;
}

/** How many of the events 0 … `count` − 1 fail once (see `failsOnce`). */
export function countFailingOnce(count: number): number {
  let failing = 0;
  for (let id = 0; id < count; id++) if (failsOnce(id)) failing++;
  return failing;
}
