/**
 * `npm run kafka:fetch` downloads the broker jars into the cache; `npm run kafka:start` runs a local broker in
 * the foreground (printing its address) until Ctrl-C. Both use the same code as the tests.
 */
import { createStreamLogger } from '../logger';
import {
  DEFAULT_KAFKA_VERSION,
  ensureKafkaClasspath,
  resolveKafkaCacheDir,
  assertJava17,
} from './kafka-classpath';
import { startLocalKafka } from './local-kafka';

const log = (message: string) => process.stdout.write(`[rxkafka:kafka] ${message}\n`);

async function main(command: string | undefined): Promise<void> {
  if (command === 'fetch') {
    await assertJava17();
    const version = process.env.RXKAFKA_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
    const libs = await ensureKafkaClasspath({ version, cacheDir: resolveKafkaCacheDir(), log });
    log(`Apache Kafka ${version} jars ready in ${libs}`);
    return;
  }
  if (command === 'start') {
    const nodes = Number(process.env.RXKAFKA_NODES ?? 1);
    const kafka = await startLocalKafka({ nodes, logger: { info: log } });
    log(`KAFKA_BROKERS=${kafka.brokers.join(',')}   (Ctrl-C stops it)`);
    const stop = () => void kafka.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }
  throw new Error(`usage: cli.ts fetch|start (got ${command ?? 'nothing'})`);
}

main(process.argv[2]).catch((error: unknown) => {
  createStreamLogger('error').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
