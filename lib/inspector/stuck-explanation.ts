/**
 * What an explanation of a stuck partition, connection or client is: why (`StuckReason`, from the actors'
 * own facts), and the same in one sentence for a person, as the page, /healthz and the logs show it.
 */
import type { ConnectionError } from '../connection/connection-events';

/** Why a partition, connection or client is stuck; `kind` tells which fields there are. */
export type StuckReason =
  | {
      /** A handler is still running on the partition's oldest unfinished record. */
      readonly kind: 'handler-running';
      readonly handler: string;
      readonly pattern: string;
      readonly offset: string;
      readonly key?: string;
      readonly correlationId?: string;
      /** The trace id of the record's `traceparent` header, to find it in a tracing backend; absent without one. */
      readonly traceId?: string;
      readonly runningMs: number;
    }
  | {
      /** The handler failed with a retriable error and waits to run again on the same record. */
      readonly kind: 'retrying';
      readonly handler: string;
      readonly pattern: string;
      readonly offset: string;
      readonly key?: string;
      readonly attempt: number;
      readonly attempts: number;
      /** The trace id of the record's `traceparent` header, to find it in a tracing backend; absent without one. */
      readonly traceId?: string;
      /** Epoch milliseconds. */
      readonly nextAttemptAt: number;
    }
  | {
      /** The request's handler is done; its replies wait for Kafka's acknowledgement. */
      readonly kind: 'awaiting-acknowledgement';
      readonly handler: string;
      readonly pattern: string;
      readonly offset: string;
      readonly key?: string;
      readonly correlationId: string;
      /** The trace id of the record's `traceparent` header, to find it in a tracing backend; absent without one. */
      readonly traceId?: string;
      readonly waitingMs: number;
    }
  | {
      /** A `consume()` stream's subscriber has not finished the records it was given. */
      readonly kind: 'backpressure';
      readonly inFlight: number;
      readonly bufferSize: number;
    }
  | {
      /** An operator paused the partition (KafkaConnection.command): nothing of it is fetched until resumed. */
      readonly kind: 'paused';
      readonly by: string;
      /** Epoch milliseconds of the pause. */
      readonly pausedAt: number;
      readonly inFlight: number;
    }
  | {
      /** A rebalance revoked the partition; its records in flight finish before the member rejoins. */
      readonly kind: 'revoking';
      readonly inFlight: number;
    }
  | {
      /**
       * An incremental rebalance (KIP-848) moves the partition to another member; its records in flight
       * finish and commit before it is released, while the member keeps its other partitions.
       */
      readonly kind: 'releasing';
      readonly inFlight: number;
    }
  | {
      /** The consumer holds no assignment: it is connecting, rebalancing, reconnecting, failed, … */
      readonly kind: 'not-assigned';
      readonly state: string;
      readonly lastError?: ConnectionError;
    }
  | {
      /** A client's request has waited past the threshold for its (last) reply. */
      readonly kind: 'request-pending';
      readonly pattern: string;
      readonly correlationId: string;
      /** The trace id of the request's send span, to find it in a tracing backend; absent when untraced. */
      readonly traceId?: string;
      readonly ageMs: number;
      readonly replyTopic: string;
      /** Absent when no reply partition is assigned to the client now. */
      readonly replyPartition?: number;
    }
  | {
      /** Records are in flight and nothing known runs on them (no watch, or it started after them). */
      readonly kind: 'unexplained';
      readonly inFlight: number;
    };

/** One stuck thing, explained. */
export interface StuckExplanation {
  /** The source's name (as the inspector shows it). */
  readonly source: string;
  readonly clientId: string;
  /** The partition; absent for a connection that holds none, and for a client's request. */
  readonly topic?: string;
  readonly partition?: number;
  /** Its committed offset ("the next offset to read"); absent before its first commit. */
  readonly committedOffset?: string;
  /** How long it has stood still, in milliseconds. */
  readonly stuckMs: number;
  readonly reason: StuckReason;
  /** The same in one line, for a person. */
  readonly sentence: string;
}

/** Whole seconds, as a person reads a wait. */
function seconds(ms: number): string {
  return `${Math.floor(Math.max(0, ms) / 1_000)} s`;
}

function onRecord(offset: string, key: string | undefined, traceId: string | undefined): string {
  return `offset ${offset}${key === undefined ? '' : `, key ${JSON.stringify(key)}`}${inTrace(traceId)}`;
}

function inTrace(traceId: string | undefined): string {
  return traceId === undefined ? '' : `, trace ${traceId}`;
}

/** The one-line sentence of an explanation. */
export function toSentence(
  name: string,
  located: { topic: string; partition: number; committedOffset: string | undefined } | undefined,
  stuckMs: number,
  reason: StuckReason,
): string {
  const subject = located
    ? `${name} ${located.topic}/${located.partition} has not committed past ${
        located.committedOffset === undefined ? 'its start' : `offset ${located.committedOffset}`
      } for ${seconds(stuckMs)}: `
    : '';
  switch (reason.kind) {
    case 'handler-running':
      return `${subject}${reason.handler} (${reason.pattern}) has been running on ${onRecord(reason.offset, reason.key, reason.traceId)} for ${seconds(reason.runningMs)}`;
    case 'retrying':
      return `${subject}${reason.handler} (${reason.pattern}) failed attempt ${reason.attempt} of ${reason.attempts} on ${onRecord(reason.offset, reason.key, reason.traceId)}; the next starts at ${new Date(reason.nextAttemptAt).toISOString()}`;
    case 'awaiting-acknowledgement':
      return `${subject}${reason.handler} (${reason.pattern}) finished ${onRecord(reason.offset, reason.key, reason.traceId)} ${seconds(reason.waitingMs)} ago; its replies (correlation id ${reason.correlationId}) wait for Kafka's acknowledgement`;
    case 'backpressure':
      return `${subject}held by backpressure: ${reason.inFlight} records handed to the stream are unfinished (bufferSize ${reason.bufferSize}); downstream is slow`;
    case 'paused':
      return `${subject}paused by ${reason.by} at ${new Date(reason.pausedAt).toISOString()}; nothing of it is fetched until it is resumed`;
    case 'revoking':
      return `${subject}revoked and draining: ${reason.inFlight} records in flight finish before the member rejoins`;
    case 'releasing':
      return `${subject}moving to another member: ${reason.inFlight} records in flight finish and commit before it is released`;
    case 'unexplained':
      return `${subject}${reason.inFlight} records in flight and no handler known to run on them (start a StuckWatch with the process to name it)`;
    case 'not-assigned':
      return `${name} has held no partition for ${seconds(stuckMs)} (state ${reason.state}${
        reason.lastError ? `; last error ${reason.lastError.name}: ${reason.lastError.message}` : ''
      })`;
    case 'request-pending':
      return `${name}'s oldest request to ${reason.pattern} (correlation id ${reason.correlationId}${inTrace(reason.traceId)}) has waited ${seconds(reason.ageMs)} for a reply on ${reason.replyTopic} ${
        reason.replyPartition === undefined
          ? '(no reply partition assigned)'
          : `partition ${reason.replyPartition}`
      }`;
  }
}
