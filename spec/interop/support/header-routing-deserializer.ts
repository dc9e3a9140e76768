/** The header a `HeaderRoutingDeserializer` routes by. */
export const ROUTE_HEADER = 'x-route';

/**
 * A server deserializer a user might write to carry several commands on one topic: the pattern is the
 * `x-route` header when present, else the topic (NestJS's default). Both NestJS and rxkafka accept it, and
 * it is the plain way to send a request to a topic the server consumes for a pattern it has no handler for.
 */
export class HeaderRoutingDeserializer {
  deserialize(
    message: { topic: string; value: unknown; headers: Record<string, unknown> },
    options?: { channel?: string },
  ): { pattern: string; data: unknown } {
    const route = message.headers[ROUTE_HEADER];
    return {
      pattern: typeof route === 'string' ? route : (options?.channel ?? message.topic),
      data: message.value ?? message,
    };
  }
}
