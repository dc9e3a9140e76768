/**
 * The one place the adapter loads kafkajs's code (its types come from 'kafkajs' directly), with the linear
 * partition grouping in place of kafkajs's quadratic one (see linear-partition-grouping.ts).
 *
 * kafkajs's producer holds its grouping function in a module-level constant of `sendMessages.js`, taken when
 * that module loads, so the replacement must be in the module cache before it. When nothing loaded kafkajs
 * yet, that is simply the case: this module loads kafkajs, and the application's own `require('kafkajs')`
 * later gets the same copy. When the application loaded kafkajs first, this module loads a private copy of
 * the five modules between kafkajs's entry point and the grouping (`index.js`, `src/index.js`, and the
 * producer's `index.js`, `messageProducer.js`, `sendMessages.js`) and puts the application's back in the
 * cache: every other module (errors, protocol, network, cluster) stays one shared copy, so kafkajs's error
 * classes are the same for both.
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
    return require('kafkajs') as typeof KafkajsModule;
  } finally {
    paths.forEach((path, index) => {
      const cached = applicationCopy[index];
      if (cached) require.cache[path] = cached;
    });
  }
}

const kafkajs = loadKafkajs();

export const Kafka: typeof KafkajsModule.Kafka = kafkajs.Kafka;
export type Kafka = KafkajsModule.Kafka;
export const { AssignerProtocol, logLevel, Partitioners } = kafkajs;
