/**
 * One client's good traffic in the hostile-mix spec: a few requests in flight at all times, each checked
 * against the answer it must get, and an event now and then; it notes what was sent, answered, wrong or
 * failed, so the spec can say which good request was lost or held.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { KafkaClient } from '../../../lib';

/** A good request's payload and the only right answer to it. */
export interface GoodRequest {
  readonly id: string;
  readonly n: number;
}

/** What the mix controller answers to a good request. */
export function toGoodAnswer({ id, n }: GoodRequest): { id: string; doubled: number } {
  return { id, doubled: n * 2 };
}

/** True for the payload of a good request or event (the hostile ones never carry both fields). */
export function isGoodRequest(data: unknown): data is GoodRequest {
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as { id?: unknown }).id === 'string' &&
    typeof (data as { n?: unknown }).n === 'number'
  );
}

export class GoodTraffic {
  /** Ids of the requests sent, in order. */
  readonly sent: string[] = [];
  readonly answered = new Set<string>();
  /** Requests answered with something other than their right answer. */
  readonly wrong: Array<{ id: string; reply: unknown }> = [];
  /** Requests that failed (a timeout, an error reply) instead of being answered. */
  readonly failed: Array<{ id: string; error: string }> = [];
  /** Ids of the events emitted (and acknowledged by Kafka). */
  readonly emitted: string[] = [];
  readonly #client: KafkaClient;
  readonly #name: string;
  readonly #requestTopic: string;
  readonly #eventTopic: string;
  #seq = 0;
  #stopped = false;
  #lanes: Array<Promise<void>> = [];

  constructor(client: KafkaClient, name: string, requestTopic: string, eventTopic: string) {
    this.#client = client;
    this.#name = name;
    this.#requestTopic = requestTopic;
    this.#eventTopic = eventTopic;
  }

  /** Starts `inFlight` lanes, each sending one request after another (and an event every tenth) until stop(). */
  start(inFlight: number): void {
    this.#lanes = Array.from({ length: inFlight }, () => this.#runLane());
  }

  /** Stops sending new requests; the requests in flight go on (see settled()). */
  halt(): void {
    this.#stopped = true;
  }

  /** Resolves once every lane's last request is settled. */
  async settled(): Promise<void> {
    await Promise.all(this.#lanes);
  }

  /** Sends one request and settles once it is answered (or failed). */
  async request(): Promise<void> {
    const request = { id: `${this.#name}-${this.#seq}`, n: this.#seq };
    this.#seq += 1;
    this.sent.push(request.id);
    try {
      const reply = await firstValueFrom(this.#client.send(this.#requestTopic, request));
      this.answered.add(request.id);
      if (JSON.stringify(reply) !== JSON.stringify(toGoodAnswer(request))) {
        this.wrong.push({ id: request.id, reply });
      }
    } catch (error) {
      this.failed.push({ id: request.id, error: String(error) });
    }
  }

  /** The ids among the first `count` sent that have no answer (yet). */
  unansweredOf(count: number): string[] {
    return this.sent.slice(0, count).filter((id) => !this.answered.has(id));
  }

  async #runLane(): Promise<void> {
    while (!this.#stopped) {
      await this.request();
      if (this.#seq % 10 === 0) await this.#emit();
    }
  }

  async #emit(): Promise<void> {
    const event = { id: `${this.#name}-event-${this.#seq}`, n: this.#seq };
    try {
      await lastValueFrom(this.#client.emit(this.#eventTopic, event), { defaultValue: undefined });
      this.emitted.push(event.id);
    } catch (error) {
      this.failed.push({ id: event.id, error: String(error) });
    }
  }
}
