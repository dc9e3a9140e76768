/**
 * `npm start`: starts the embedded Kafka broker (or uses KAFKA_BROKERS) and runs the heroes example against it.
 */
import { startLocalKafka } from '../lib/testing';
import { runHeroes } from './heroes/run-heroes';

async function main(): Promise<void> {
  const kafka = await startLocalKafka({ logger: { info: (m) => console.log(`[broker] ${m}`) } });
  try {
    await runHeroes(kafka.brokers, (line) => console.log(`[heroes] ${line}`));
  } finally {
    await kafka.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
