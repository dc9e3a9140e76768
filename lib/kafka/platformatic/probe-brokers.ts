/**
 * The first connect of a @platformatic/kafka client, asked once per broker.
 *
 * Why: @platformatic/kafka 1.x retries a failed connection `retries` times (3 by default, a second apart),
 * and a refused SASL login is one of those it retries: its NetworkError "Connection to … failed." is
 * retriable, and the non-retriable AuthenticationError inside it is not looked at. A wrong password would be
 * tried four times per connect, on the producer and on every consumer, and repeated failed logins can lock
 * an account; a wrong port would take seconds to report. Before a client has reached its cluster, each
 * broker address is asked once (Metadata, after TLS and the login as configured) without retries, one after
 * another: the first that answers ends the probe, and the first failure other than "nobody there" (a refused
 * login, a rejected certificate) ends it too, so a wrong password costs exactly one login.
 */
import type { PlatformaticKafka } from './platformatic-library';
import type { PlatformaticBaseOptions } from './platformatic-options';

/**
 * Resolves once a broker of `base.bootstrapBrokers` answered; rejects with the failure that ended the probe
 * (@platformatic/kafka's error), or the last broker's when none could be reached.
 */
export async function probeBrokers(
  library: PlatformaticKafka,
  base: PlatformaticBaseOptions,
  isUnreachable: (error: unknown) => boolean,
): Promise<void> {
  let failure: unknown;
  for (const broker of base.bootstrapBrokers) {
    failure = await probeBroker(library, { ...base, bootstrapBrokers: [broker], retries: 0 });
    if (failure === undefined) return;
    if (!isUnreachable(failure)) break;
  }
  if (failure !== undefined) throw failure;
}

/** Undefined when the broker answered, else @platformatic/kafka's error. */
async function probeBroker(library: PlatformaticKafka, base: PlatformaticBaseOptions): Promise<unknown> {
  const admin = new library.Admin({ ...base });
  try {
    await admin.metadata({ topics: [] });
    return undefined;
  } catch (error) {
    return error ?? new Error('connect failed');
  } finally {
    await admin.close().catch(() => undefined);
  }
}
