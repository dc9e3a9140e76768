/**
 * rxkafka/nestjs: rxkafka inside a NestJS application. `RxKafkaStrategy` runs the app's own
 * `@nestjs/microservices` handlers on rxkafka's server; `RxKafkaClientProxy` is a `ClientProxy` over
 * rxkafka's client. Needs @nestjs/common, @nestjs/core and @nestjs/microservices (10 to 12).
 */
import 'reflect-metadata';

export { RxKafkaStrategy } from './rx-kafka-strategy';
export type { RxKafkaStrategyEvents, RxKafkaStrategyOptions } from './rx-kafka-strategy';
export { RxKafkaClientProxy } from './rx-kafka-client-proxy';
export type { RxKafkaClientProxyEvents, RxKafkaClientProxyOptions } from './rx-kafka-client-proxy';
export { createNestHandlerSource, toNestKafkaContext } from './nest-handler-source';
export type { NestHandlerMap } from './nest-handler-source';
export type { HandlerSource } from '../handlers/handler-source';
export type { DrainReport } from '../server/kafka-server';
