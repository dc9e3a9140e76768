/**
 * Where the numbers were taken: they mean little without the machine, the runtime and the broker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { DEFAULT_KAFKA_VERSION, type LocalKafka } from '../lib/testing';

export interface MachineInfo {
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly totalMemoryMb: number;
  readonly platform: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages when the benchmark started: other work on the machine skews it. */
  readonly loadAverage: readonly number[];
  readonly kafkaProvider: LocalKafka['provider'];
  readonly kafkaVersion: string;
  readonly brokers: readonly string[];
  readonly packages: Readonly<Record<string, string>>;
}

/** Describes this machine and the broker `kafka`. */
export function describeMachine(kafka: LocalKafka): MachineInfo {
  const cores = cpus();
  return {
    cpuCount: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(totalmem() / (1024 * 1024)),
    platform: `${platform()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    kafkaProvider: kafka.provider,
    kafkaVersion: toKafkaVersion(kafka.provider),
    brokers: kafka.brokers,
    packages: Object.fromEntries(
      ['kafkajs', 'rxjs', '@nestjs/microservices', '@nestjs/core', 'xstate', 'inversify'].map((name) => [
        name,
        readPackageVersion(name),
      ]),
    ),
  };
}

function toKafkaVersion(provider: LocalKafka['provider']): string {
  if (provider === 'maven') return process.env.RXKAFKA_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  if (provider === 'testcontainers') return 'confluentinc/cp-kafka image of lib/testing';
  return 'unknown (KAFKA_BROKERS)';
}

/** Read from node_modules directly: some packages (inversify) do not export their package.json. */
function readPackageVersion(name: string): string {
  try {
    const file = join(__dirname, '..', 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
