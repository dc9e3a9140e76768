import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of lib/, lowest first: a folder may import its own layer and those below it, never one above.
 * errors.ts and logger.ts sit below them all; index.ts and testing/ stand apart.
 */
const LAYERS = [
  ['kafka'], // the driver port, and its adapters kafka/kafkajs/ and kafka/platformatic/
  ['tracing'], // OpenTelemetry spans and trace context over the optional @opentelemetry/api
  ['diagnostics'], // the event catalog (node:diagnostics_channel) and its publish points
  ['wire'], // pure NestJS codecs
  ['handlers'], // decorators, KafkaContext, the handler registry
  ['offsets'], // the one owner of consumer offsets: finished prefix, commit holds, commits, progress
  ['connection'], // the connection actor, KafkaConnection, and its producer's queue (the delivery sink)
  ['pipeline'], // one record's way: routing, request and event paths, failure policy
  ['options'], // resolved once, at the door
  ['exactly-once'], // transactional consume-transform-produce: processExactlyOnce() and the server's exactly-once handlers
  ['server', 'client', 'admin'], // front ends, and createTopics()
  ['nestjs'], // the NestJS transport strategy and client proxy (rxkafka/nestjs), over the server and client
  ['streams', 'replay', 'redrive'], // topics as observables, group-less replay, dead letters re-driven
  ['projection'], // state folded from a topic, with snapshots (over replay)
  ['inspector'], // the live view of the actors (rxkafka/inspector), over the front ends
];

const FOLDERS = LAYERS.flat();

const KAFKAJS_ONLY_IN_ADAPTER = {
  name: 'kafkajs',
  message:
    'Only lib/kafka/kafkajs/ (the adapter) and lib/testing/ import kafkajs: use the port types of lib/kafka/, or the re-exports of lib/kafka/kafkajs/kafkajs-types.ts where the public API shows kafkajs objects.',
};

// The adapter loads kafkajs's code through kafkajs-library.ts, which puts the linear partition grouping in place first.
const KAFKAJS_CODE_THROUGH_LIBRARY = {
  name: 'kafkajs',
  allowTypeImports: true,
  message:
    "Import kafkajs's values (Kafka, Partitioners, …) from ./kafkajs-library (it installs the linear partition grouping before kafkajs loads); types may come from 'kafkajs'.",
};

// @platformatic/kafka is an optional peer dependency: only its adapter may load it, and only through
// platformatic-library.ts, which requires it when an application selects driver: 'platformatic'.
const PLATFORMATIC_ONLY_IN_ADAPTER = {
  name: '@platformatic/kafka',
  message:
    "Only lib/kafka/platformatic/ (the adapter) imports @platformatic/kafka (an optional peer dependency): use the port types of lib/kafka/, and select it with driver: 'platformatic'.",
};

const PLATFORMATIC_CODE_THROUGH_LIBRARY = {
  name: '@platformatic/kafka',
  allowTypeImports: true,
  message:
    "Load @platformatic/kafka's values through ./platformatic-library (loadPlatformatic(): a lazy require, with the missing-package error); types may come from '@platformatic/kafka'.",
};

// @nestjs/* are optional peer dependencies: only rxkafka/nestjs may load them.
const NESTJS_ONLY_IN_NESTJS = {
  group: ['@nestjs/*'],
  message:
    'Only lib/nestjs/ imports @nestjs/* (optional peer dependencies): the rest of lib/ must load without NestJS.',
};

/** `no-restricted-imports` for `files` of `folder`: higher layers, kafkajs unless `allowKafkajs`, @nestjs/* outside lib/nestjs/. */
function layerRule(
  folder,
  files = [`lib/${folder}/**/*.ts`],
  kafkajsPaths = [KAFKAJS_ONLY_IN_ADAPTER, PLATFORMATIC_ONLY_IN_ADAPTER],
) {
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  const above = LAYERS.slice(rank + 1).flat();
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: kafkajsPaths,
          patterns: [
            {
              regex: `^(\\.\\./)+(${above.join('|')}|index)(/|$)`,
              message: `lib/${folder}/ sits below ${above.join(', ')}: import downward only (see eslint.config.mjs LAYERS).`,
            },
            ...(folder === 'nestjs' ? [] : [NESTJS_ONLY_IN_NESTJS]),
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kafka/', 'scratch/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': ['error'],
    },
  },
  { files: ['examples/**', 'bench/**'], rules: { 'no-console': 'off' } },
  // errors.ts and logger.ts import nothing of lib/.
  {
    files: ['lib/errors.ts', 'lib/logger.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\./(${FOLDERS.join('|')}|index)(/|$)`,
              message: 'errors.ts and logger.ts are the bottom layer.',
            },
          ],
        },
      ],
    },
  },
  ...FOLDERS.filter((folder) => folder !== 'kafka').map((folder) => layerRule(folder)),
  layerRule('kafka', ['lib/kafka/*.ts']),
  layerRule(
    'kafka',
    ['lib/kafka/kafkajs/**/*.ts'],
    [KAFKAJS_CODE_THROUGH_LIBRARY, PLATFORMATIC_ONLY_IN_ADAPTER],
  ),
  layerRule('kafka', ['lib/kafka/kafkajs/kafkajs-library.ts'], [PLATFORMATIC_ONLY_IN_ADAPTER]),
  layerRule(
    'kafka',
    ['lib/kafka/platformatic/**/*.ts'],
    [KAFKAJS_ONLY_IN_ADAPTER, PLATFORMATIC_CODE_THROUGH_LIBRARY],
  ),
  {
    files: ['lib/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [KAFKAJS_ONLY_IN_ADAPTER, PLATFORMATIC_ONLY_IN_ADAPTER], patterns: [NESTJS_ONLY_IN_NESTJS] },
      ],
    },
  },
);
