/**
 * One Kafka broker per test run, started on first use by an integration spec (unit specs never pay for it)
 * and stopped when mocha ends. See lib/testing/ for how the broker is found or started.
 */
import type { LocalKafka } from '../../lib/testing';

let broker: Promise<LocalKafka> | undefined;

/** The shared broker of this run; starts it on the first call. */
export function useTestBroker(): Promise<LocalKafka> {
  if (!broker) {
    // Lazy require: unit-only runs never load the broker machinery.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startLocalKafka } = require('../../lib/testing') as typeof import('../../lib/testing');
    broker = startLocalKafka({
      logger: { info: (m: string) => process.stdout.write(`      [broker] ${m}\n`) },
    });
  }
  return broker;
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (!broker) return;
  const started = await broker.catch(() => undefined);
  await started?.stop();
}
