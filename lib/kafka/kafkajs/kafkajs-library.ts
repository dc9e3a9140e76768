/**
 * The one place the adapter loads kafkajs's code (its types come from 'kafkajs' directly), with the linear
 * partition grouping in place of kafkajs's quadratic one (see linear-partition-grouping.ts).
 *
 * kafkajs's producer holds its grouping function in a module-level constant of `sendMessages.js`, taken when
 * that module loads, so the replacement must be in the module cache before it. This module loads a private
 * copy of the five modules between kafkajs's entry point and the grouping (`index.js`, `src/index.js`, and
 * the producer's `index.js`, `messageProducer.js`, `sendMessages.js`) and leaves the module cache as it found
 * it: the application's own `require('kafkajs')`, before or after, gets its own copy. Every other module
 * (errors, protocol, network, cluster) stays one shared copy, so kafkajs's error classes are the same for both.
 *
 * The copy being private also keeps `@opentelemetry/instrumentation-kafkajs` off rxkafka's records: that
 * instrumentation wraps `Kafka.prototype.producer`/`consumer` of every kafkajs copy required while it is
 * enabled, and rxkafka makes its own send and process spans, so the wrapped methods of the private copy are
 * put back. Left wrapped, every rxkafka record would get a second send span and the instrumentation's
 * `traceparent` over rxkafka's, cutting the request/reply trace at each hop. The application's kafkajs stays
 * instrumented.
 */
import Module from 'node:module';
import type * as KafkajsModule from 'kafkajs';
import { groupMessagesPerPartition } from './linear-partition-grouping';

const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition';
/** From kafkajs's entry point down to the module that takes the grouping function. */
const MODULES_ABOVE_GROUPING = [
  'kafkajs',
  'kafkajs/src',
  'kafkajs/src/producer',
  'kafkajs/src/producer/messageProducer',
  'kafkajs/src/producer/sendMessages',
];

function loadKafkajs(): typeof KafkajsModule {
  const groupingPath = require.resolve(GROUPING_MODULE);
  const paths = [...MODULES_ABOVE_GROUPING.map((id) => require.resolve(id)), groupingPath];
  const applicationCopy = paths.map((path) => require.cache[path]);
  for (const path of paths) delete require.cache[path];
  const grouping = new Module(groupingPath, module);
  grouping.filename = groupingPath;
  grouping.loaded = true;
  grouping.exports = groupMessagesPerPartition;
  require.cache[groupingPath] = grouping;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, after the cache is set up
    const loaded = require('kafkajs') as typeof KafkajsModule;
    unwrapInstrumentation(loaded.Kafka.prototype, 'producer');
    unwrapInstrumentation(loaded.Kafka.prototype, 'consumer');
    return loaded;
  } finally {
    paths.forEach((path, index) => {
      const cached = applicationCopy[index];
      if (cached) require.cache[path] = cached;
      else delete require.cache[path];
    });
  }
}

/** A method wrapped by an OpenTelemetry instrumentation (its `_wrap` keeps the original beside it). */
interface WrappedMethod {
  readonly __wrapped?: boolean;
  readonly __original?: unknown;
}

/** Puts back the original of a method an instrumentation wrapped on the private copy's prototype. */
function unwrapInstrumentation(prototype: object, name: 'producer' | 'consumer'): void {
  const method = Reflect.get(prototype, name) as WrappedMethod;
  if (method.__wrapped === true && typeof method.__original === 'function') {
    Reflect.set(prototype, name, method.__original);
  }
}

const kafkajs = loadKafkajs();

export const Kafka: typeof KafkajsModule.Kafka = kafkajs.Kafka;
export type Kafka = KafkajsModule.Kafka;
export const { AssignerProtocol, logLevel, Partitioners } = kafkajs;
