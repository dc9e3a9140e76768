/**
 * The kafkajs workaround for the latency of back-to-back transactions.
 *
 * Why: every transaction after the first meets CONCURRENT_TRANSACTIONS (Kafka error 51) on
 * AddPartitionsToTxn while the coordinator completes the previous one, and kafkajs retries it after
 * `retry.initialRetryTime`, 300 ms by default (kafkajs issues #430 and #1068). Measured against Kafka
 * 4.1.1: a transaction then took up to ~350 ms; with `initialRetryTime: 20`, at most ~42 ms. (The Java 4.x
 * client with transactions v2 avoids the wait in the broker.)
 */
import type { ProducerConfig } from 'kafkajs';
import { Partitioners } from './kafkajs-library';

/** The first retry of a transactional producer, unless the user set `retry.initialRetryTime`. */
export const TRANSACTIONAL_INITIAL_RETRY_MS = 20;

/**
 * The kafkajs producer config of a transactional producer: the user's, with `transactionalId`,
 * `idempotent: true` and `maxInFlightRequests: 1` (kafkajs requires both for transactions) and a 20 ms
 * first retry unless the user chose one.
 */
export function toTransactionalProducerConfig(user: ProducerConfig, transactionalId: string): ProducerConfig {
  return {
    ...user,
    transactionalId,
    // Named, so kafkajs does not warn that its default partitioner changed in 2.0 (as the other producers).
    createPartitioner: user.createPartitioner ?? Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: {
      ...user.retry,
      initialRetryTime: user.retry?.initialRetryTime ?? TRANSACTIONAL_INITIAL_RETRY_MS,
    },
  };
}
