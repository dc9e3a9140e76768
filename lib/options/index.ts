export { DEFAULT_CLIENT_OPTIONS, resolveClientOptions } from './client-options';
export type { KafkaClientOptions, ResolvedClientOptions } from './client-options';
export { DEFAULT_SERVER_OPTIONS, resolveServerOptions } from './server-options';
export type { KafkaServerOptions, ResolvedServerOptions, ServerExactlyOnceOptions } from './server-options';
export { DEFAULT_TRANSPORT_OPTIONS } from './transport-options';
export type { KafkaTransportOptions, ResolvedTransportOptions } from './transport-options';
