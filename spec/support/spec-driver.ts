/**
 * The Kafka client library broker specs run on: `RXKAFKA_DRIVER=platformatic` runs them on
 * @platformatic/kafka, anything else (or nothing) on kafkajs. Front ends built in specs spread
 * `specDriver()` into their options; a case the chosen driver cannot run is pending with the reason in its
 * name, never skipped silently.
 */
import type { Func } from 'mocha';

export type SpecDriverName = 'kafkajs' | 'platformatic';

/** The driver named by RXKAFKA_DRIVER. */
export const SPEC_DRIVER: SpecDriverName =
  process.env.RXKAFKA_DRIVER === 'platformatic' ? 'platformatic' : 'kafkajs';

/** The `driver` option for a front end's options: absent (the default, kafkajs) or `'platformatic'`. */
export function specDriver(): { driver?: 'platformatic' } {
  return SPEC_DRIVER === 'platformatic' ? { driver: 'platformatic' } : {};
}

/**
 * `it()` on kafkajs; on platformatic a pending case whose name ends with why, e.g.
 * `'commits in the transaction [not on platformatic: transactions]'`.
 */
export function itUnlessPlatformatic(reason: string, title: string, test: Func): void {
  if (SPEC_DRIVER === 'platformatic') it(`${title} [not on platformatic: ${reason}]`);
  else it(title, test);
}

/**
 * `it()` on platformatic; on kafkajs a pending case whose name ends with why, e.g.
 * `'… [not on kafkajs: a read_committed reader misses outputs]'`.
 */
export function itUnlessKafkajs(reason: string, title: string, test: Func): void {
  if (SPEC_DRIVER === 'kafkajs') it(`${title} [not on kafkajs: ${reason}]`);
  else it(title, test);
}
