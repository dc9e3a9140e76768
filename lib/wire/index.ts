/** The NestJS-compatible Kafka wire format: pure codecs, no I/O. */
export { createCorrelationId } from './correlation-id';
export { KafkaRequestDeserializer, KafkaResponseDeserializer } from './deserializer';
export type { Deserializer, ReplyPacket, RequestPacket } from './deserializer';
export { encodeErrorHeader, toErrorPayload } from './error-payload';
export { KafkaHeaders, NO_MESSAGE_HANDLER } from './kafka-headers';
export type { KafkaHeaderName } from './kafka-headers';
export type { KafkaEnvelope, OutgoingMessage } from './outgoing-message';
export { KafkaParser, decodeWireValue } from './parser';
export type { IncomingMessage, KafkaParserOptions, RawKafkaRecord } from './parser';
export { encodeReply, parseReplyPartition } from './reply-encoder';
export type { ReplyMeta } from './reply-encoder';
export { encodeRequest } from './request-encoder';
export type { RequestMeta } from './request-encoder';
export { KafkaRequestSerializer, encodeWireValue } from './serializer';
export type { Serializer } from './serializer';
