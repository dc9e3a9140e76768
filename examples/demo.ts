/**
 * `npm start`: starts the embedded Kafka broker (or uses KAFKA_BROKERS), runs the heroes service with a
 * steady trickle of requests and events, a second member joining and leaving its group, and the inspector;
 * Ctrl-C drains everything and prints the drain reports. `npm start -- --once` runs one round trip, one
 * keyed reply and one event, and exits. `npm run bank` walks through the event-sourced bank example.
 */
import { createStreamLogger } from '../lib';
import { startLocalKafka } from '../lib/testing';
import { runBankWalkthrough } from './bank/bank-walkthrough';
import { runHeroes } from './heroes/run-heroes';
import { startShowcase } from './heroes/run-showcase';

async function main(argv: readonly string[]): Promise<void> {
  const kafka = await startLocalKafka({ logger: { info: (m) => console.log(`[broker] ${m}`) } });
  if (argv.includes('--bank')) {
    try {
      await runBankWalkthrough(
        kafka.brokers,
        (line) => console.log(`[bank] ${line}`),
        createStreamLogger('warn'),
      );
    } finally {
      await kafka.stop();
    }
    return;
  }
  if (argv.includes('--once')) {
    try {
      await runHeroes(kafka.brokers, (line) => console.log(`[heroes] ${line}`));
    } finally {
      await kafka.stop();
    }
    return;
  }
  const cycleMs = Number(process.env.RXKAFKA_DEMO_CYCLE_MS ?? 20_000);
  const showcase = await startShowcase({
    brokers: kafka.brokers,
    logger: createStreamLogger('warn'),
    print: (line) => console.log(`[heroes] ${line}`),
    cycleMs,
    port: Number(process.env.RXKAFKA_INSPECTOR_PORT ?? 0),
  });
  console.log(
    `[heroes] open the inspector in a browser; a second member joins or leaves every ${cycleMs / 1000} s. Ctrl-C drains and stops.`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('[heroes] draining…');
  try {
    const reports = await showcase.stop();
    for (const [member, report] of [
      ['server-a', reports.primary],
      ['server-b', reports.secondary],
    ] as const) {
      console.log(
        `[heroes] ${member} drained in ${report.durationMs} ms: ${report.recordsFinished} records handled, ` +
          `${report.recordsAbandoned} abandoned, ${report.repliesSent} replies sent, committed ${JSON.stringify(report.committed)}`,
      );
    }
    console.log(`[heroes] client closed: ${reports.pendingRequestsFailed} pending requests failed`);
  } finally {
    await kafka.stop();
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(1);
});
