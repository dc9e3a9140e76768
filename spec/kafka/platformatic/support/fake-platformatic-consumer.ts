import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { silentLogger } from '../../../../lib/logger';
import { ConnectSteps } from '../../../../lib/kafka/platformatic/connect-steps';
import {
  PlatformaticConsumer,
  type PlatformaticConsumerSetup,
} from '../../../../lib/kafka/platformatic/platformatic-consumer';
import type { PlatformaticKafka } from '../../../../lib/kafka/platformatic/platformatic-library';
import { DEFAULT_FETCH_MAX_WAIT_MS } from '../../../../lib/kafka/platformatic/platformatic-options';

/** A stand-in for @platformatic/kafka's MessagesStream: an object-mode Readable the spec pushes into. */
export class FakeStream extends Readable {
  readonly offsetsToFetch = new Map<string, bigint>();
  constructor() {
    super({ objectMode: true, read: () => undefined });
  }
  async close(): Promise<void> {
    this.push(null);
    this.destroy();
  }
}

/** A stand-in for @platformatic/kafka's Consumer: joins with one partition of topic 't' inside consume(). */
export class FakeConsumer extends EventEmitter {
  /** Every consumer made since the last reset(), in order (a restart makes a new one). */
  static created: FakeConsumer[] = [];
  /** The failure of the n-th consumer's metadata call (1-based), if any: a restart that cannot reach the broker. */
  static failMetadata: (n: number) => Error | undefined = () => undefined;
  readonly stream = new FakeStream();
  /** Its place among the consumers made (1-based). */
  readonly number: number;
  closed = false;
  /** What KIP-848's heartbeats last assigned (the library changes it without an event). */
  assignments: Array<{ topic: string; partitions: number[] }> | null = null;
  memberId: string | null = null;

  /** Forgets the consumers made and the metadata failures (each spec starts afresh). */
  static reset(): void {
    FakeConsumer.created = [];
    FakeConsumer.failMetadata = () => undefined;
  }

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeConsumer.created.push(this);
    this.number = FakeConsumer.created.length;
  }
  async metadata(): Promise<object> {
    const failure = FakeConsumer.failMetadata(this.number);
    if (failure) throw failure;
    return {};
  }
  async consume(): Promise<FakeStream> {
    this.memberId = `member-${FakeConsumer.created.length}`;
    this.joining();
    this.emit('consumer:group:join', {
      memberId: this.memberId,
      generationId: FakeConsumer.created.length,
      assignments: [{ topic: 't', partitions: [0] }],
    });
    return this.stream;
  }
  /** The library's Fetch, which its stream calls (the fake stream never does). */
  async fetch(): Promise<object> {
    return { responses: [] };
  }
  async commit(_options: { offsets: unknown[] }): Promise<void> {}
  close(_force: boolean, callback: (error: Error | null) => void): void {
    this.closed = true;
    callback(null);
  }
  /** Runs as it joins, before the join's event: a spec's subclass records the join there. */
  protected joining(): void {}
}

/** A stand-in for @platformatic/kafka's ProtocolError: the broker's error name as `apiId`. */
export class FakeProtocolError extends Error {
  constructor(readonly apiId: string) {
    super(apiId);
  }
}

/** A PlatformaticConsumer of group 'g' reading 't' over the fakes above, unless `setup` says otherwise. */
export function createFakeBackedConsumer(
  setup: Partial<PlatformaticConsumerSetup> = {},
): PlatformaticConsumer {
  return new PlatformaticConsumer({
    library: { Consumer: FakeConsumer, ProtocolError: FakeProtocolError } as unknown as PlatformaticKafka,
    base: { clientId: 'spec', bootstrapBrokers: ['localhost:9092'] },
    groupId: 'g',
    options: { maxWaitTime: DEFAULT_FETCH_MAX_WAIT_MS },
    logger: silentLogger,
    steps: new ConnectSteps({ clientId: 'spec', brokers: ['localhost:9092'] }, async () => undefined),
    listTopics: async () => ['t'],
    ...setup,
  });
}
