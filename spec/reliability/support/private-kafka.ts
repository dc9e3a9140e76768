/**
 * A broker of one spec's own, for specs that stop, kill or restart brokers: the shared broker of the run
 * (spec/support/global-broker.ts) must stay up for every other spec.
 */
import type { Context } from 'mocha';
import { startLocalKafka, type LocalKafka } from '../../../lib/testing';

/**
 * Skips the current test or hook when the brokers are not processes this run started: with
 * KAFKA_BROKERS set, the cluster is someone else's and a fault spec could neither stop nor start a node.
 */
function skipUnlessBrokersAreOurs(context: Context): void {
  if (process.env.KAFKA_BROKERS) context.skip();
}

/**
 * Registers the `before` and `after` hooks of a spec that owns a private cluster of `nodes` brokers (skipped
 * when KAFKA_BROKERS names someone else's cluster: a fault spec could neither stop nor start a node there).
 * Returns the cluster's getter, valid inside the spec's tests.
 */
export function usePrivateKafka(
  nodes: number,
  timeouts: { startMs: number; stopMs: number },
): () => LocalKafka {
  let kafka: LocalKafka | undefined;
  before(async function () {
    skipUnlessBrokersAreOurs(this);
    this.timeout(timeouts.startMs);
    kafka = await startPrivateKafka(nodes);
  });
  after(async function () {
    this.timeout(timeouts.stopMs);
    await kafka?.stop();
  });
  return () => {
    if (!kafka) throw new Error('the private cluster is not started: use it inside a test');
    return kafka;
  };
}

/** Starts a private KRaft cluster of `nodes` brokers from the Maven jars; stop it in `after`. */
function startPrivateKafka(nodes: number): Promise<LocalKafka> {
  return startLocalKafka({
    provider: 'maven',
    nodes,
    logger: { info: (message: string) => process.stdout.write(`      [private broker] ${message}\n`) },
  });
}
