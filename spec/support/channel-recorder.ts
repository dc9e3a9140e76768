/**
 * Listens to every rxkafka diagnostics channel and keeps what each published, in order, for specs that
 * check the event catalog.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsChannelName,
  type DiagnosticsPayloads,
} from '../../lib/diagnostics/diagnostics-channels';

export interface PublishedPayload<N extends DiagnosticsChannelName = DiagnosticsChannelName> {
  readonly channel: N;
  readonly payload: DiagnosticsPayloads[N];
}

export class ChannelRecorder {
  readonly published: PublishedPayload[] = [];
  readonly #listeners = new Map<DiagnosticsChannelName, (message: unknown) => void>();

  /** Starts listening to `channels` (every channel by default). */
  start(channels: readonly DiagnosticsChannelName[] = Object.values(DIAGNOSTICS_CHANNELS)): this {
    for (const channel of channels) {
      const listener = (message: unknown): void => {
        this.published.push({ channel, payload: message } as PublishedPayload);
      };
      this.#listeners.set(channel, listener);
      subscribe(channel, listener);
    }
    return this;
  }

  stop(): void {
    for (const [channel, listener] of this.#listeners) unsubscribe(channel, listener);
    this.#listeners.clear();
  }

  /** The payloads published on `channel`, in order, optionally only those `where` accepts. */
  on<N extends DiagnosticsChannelName>(
    channel: N,
    where: (payload: DiagnosticsPayloads[N]) => boolean = () => true,
  ): Array<DiagnosticsPayloads[N]> {
    return this.published
      .filter((entry): entry is PublishedPayload<N> => entry.channel === channel)
      .map((entry) => entry.payload)
      .filter(where);
  }

  /** The channels published on, in order. */
  get channels(): DiagnosticsChannelName[] {
    return this.published.map((entry) => entry.channel);
  }

  clear(): void {
    this.published.length = 0;
  }
}
