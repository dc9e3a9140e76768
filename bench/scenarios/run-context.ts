/**
 * What every run of a scenario needs from the parent: the broker, the topic admin, the profiling folder.
 */
import { join, resolve } from 'node:path';
import type { TopicAdmin } from '../topic-admin';

export interface RunContext {
  readonly brokers: readonly string[];
  readonly topics: TopicAdmin;
  /** Profile the measured window of every consumer, server and client into this folder. */
  readonly cpuProfileDir?: string;
}

/** Time a worker may take to start, connect and join its group. */
export const STARTUP_TIMEOUT_MS = 120_000;

/** Time a worker may take to exit by itself after its report (it then is killed). */
export const EXIT_TIMEOUT_MS = 20_000;

/** Where a worker writes its CPU profile: `<dir>/<label>.cpuprofile`, or nowhere when it is not profiled. */
export function toCpuProfilePath(context: RunContext, label: string): string | undefined {
  if (!context.cpuProfileDir) return undefined;
  return join(resolve(context.cpuProfileDir), `${label}.cpuprofile`);
}
