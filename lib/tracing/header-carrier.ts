/**
 * Kafka record headers as the carrier of OpenTelemetry's text-map propagation: W3C `traceparent` and
 * `tracestate` travel as record headers, as other Kafka instrumentations put them.
 */
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { RecordHeaders } from '../kafka/kafka-record';

/**
 * Reads headers as kafkajs delivers them: a Buffer (UTF-8), a string, or an array of them for a repeated
 * name (the propagator takes the first traceparent and joins tracestates). Anything else reads as absent,
 * so a hostile header never throws here.
 */
export const recordHeaderGetter: TextMapGetter<RecordHeaders | undefined> = {
  keys: (headers) => (headers ? Object.keys(headers) : []),
  get: (headers, key) => {
    if (!headers || !Object.hasOwn(headers, key)) return undefined;
    const value = headers[key];
    if (!Array.isArray(value)) return toHeaderText(value);
    const texts: string[] = [];
    for (const item of value) {
      const text = toHeaderText(item);
      if (text !== undefined) texts.push(text);
    }
    return texts.length > 0 ? texts : undefined;
  },
};

/** Writes string headers: kafkajs encodes strings as UTF-8, and every Kafka client reads them back. */
export const recordHeaderSetter: TextMapSetter<RecordHeaders> = {
  set: (headers, key, value) => {
    headers[key] = value;
  },
};

function toHeaderText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
