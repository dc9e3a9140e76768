import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RxKafkaError } from '../errors';
import { runCommand } from './run-command';

/** Apache Kafka release the embedded broker runs (KRaft, Java 17+). */
export const DEFAULT_KAFKA_VERSION = '4.4.0';
/** Kafka 4.x logs through SLF4J 1.7 and ships log4j2 2.25 in its tarball; the Maven artifact carries no binding. */
const LOG4J_VERSION = '2.25.4';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';
const COMPLETE_MARKER = '.complete';

export interface KafkaClasspathOptions {
  readonly version: string;
  readonly cacheDir: string;
  readonly log: (message: string) => void;
}

/**
 * The default cache folder for broker jars: `$RXKAFKA_CACHE_DIR`, else `.kafka/` at the nearest folder above the
 * working directory that holds a package.json (it survives `npm ci`, unlike node_modules/.cache).
 */
export function resolveKafkaCacheDir(cwd = process.cwd()): string {
  if (process.env.RXKAFKA_CACHE_DIR) return resolve(process.env.RXKAFKA_CACHE_DIR);
  let dir = resolve(cwd);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(existsSync(join(dir, 'package.json')) ? dir : resolve(cwd), '.kafka');
}

/** Fails with a clear RXK_BROKER_SETUP error unless `java` is version 17 or newer. */
export async function assertJava17(): Promise<void> {
  const result = await runCommand('java', ['-version'], { timeoutMs: 30_000 });
  if (result.spawnError) {
    throw new RxKafkaError(
      'RXK_BROKER_SETUP',
      'cannot start a local Kafka broker: Java was not found on PATH. Install a JDK 17+ (apt-get install openjdk-17-jdk-headless), ' +
        'or point KAFKA_BROKERS at a running cluster, or run a Docker engine for testcontainers.',
      { cause: result.spawnError },
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr + result.stdout);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= 17)) {
    throw new RxKafkaError(
      'RXK_BROKER_SETUP',
      `cannot start a local Kafka broker: Kafka ${DEFAULT_KAFKA_VERSION} needs Java 17 or newer, found ${match ? `Java ${major}` : 'an unreadable `java -version`'}. ` +
        'Install a JDK 17+, or set KAFKA_BROKERS.',
    );
  }
}

/**
 * The folder of jars that runs Apache Kafka `version`, fetched once from Maven Central with Maven's dependency
 * plugin. A marker file makes a half-finished download count as missing, so an interrupted run retries cleanly.
 */
export async function ensureKafkaClasspath(options: KafkaClasspathOptions): Promise<string> {
  const home = join(options.cacheDir, `kafka-${options.version}`);
  const libs = join(home, 'libs');
  if (existsSync(join(home, COMPLETE_MARKER))) return libs;

  const mvn = await runCommand('mvn', ['-v'], { timeoutMs: 60_000 });
  if (mvn.spawnError || mvn.code !== 0) {
    throw new RxKafkaError(
      'RXK_BROKER_SETUP',
      `cannot fetch the Kafka ${options.version} jars: Maven (mvn) was not found on PATH. Install Maven (apt-get install maven), ` +
        `or put the jars in ${libs} yourself, or set KAFKA_BROKERS to a running cluster.`,
      { cause: mvn.spawnError },
    );
  }

  options.log(`fetching Apache Kafka ${options.version} jars from Maven Central into ${libs} (once)`);
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const pom = join(home, 'pom.xml');
  writeFileSync(pom, renderClasspathPom(options.version));
  const started = Date.now();
  const result = await runCommand(
    'mvn',
    ['-B', '-q', '-f', pom, DEPENDENCY_PLUGIN, `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
    { timeoutMs: 15 * 60_000 },
  );
  const jars = existsSync(libs) ? readdirSync(libs).filter((name) => name.endsWith('.jar')) : [];
  if (result.code !== 0 || !jars.some((name) => name.startsWith(`kafka_2.13-${options.version}`))) {
    throw new RxKafkaError(
      'RXK_BROKER_SETUP',
      `Maven could not fetch org.apache.kafka:kafka_2.13:${options.version} (exit ${result.code}). Check that Maven Central ` +
        `is reachable and the version exists. Maven said:\n${tail(result.stdout + result.stderr, 20)}`,
    );
  }
  writeFileSync(join(home, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  options.log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return libs;
}

function renderClasspathPom(version: string): string {
  const dependency = (group: string, artifact: string, v: string) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${v}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.rxkafka</groupId><artifactId>kafka-broker-classpath</artifactId><version>0</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('org.apache.kafka', 'kafka_2.13', version),
    dependency('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION),
    dependency('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
