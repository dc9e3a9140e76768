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
export function skipUnlessBrokersAreOurs(context: Context): void {
  if (process.env.KAFKA_BROKERS) context.skip();
}

/** Starts a private KRaft cluster of `nodes` brokers from the Maven jars; stop it in `after`. */
export function startPrivateKafka(nodes: number): Promise<LocalKafka> {
  return startLocalKafka({
    provider: 'maven',
    nodes,
    logger: { info: (message: string) => process.stdout.write(`      [private broker] ${message}\n`) },
  });
}
