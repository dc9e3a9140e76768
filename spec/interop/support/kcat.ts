import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A record as `kcat -C -J` prints it: key, payload and header values as (JSON-escaped) text. */
export interface KcatRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: string | null;
  /** `[name, value]` in wire order; a null header value stays null. */
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

/** What to produce: the value's exact bytes, an optional key, and headers in order. */
export interface KcatMessage {
  readonly value: Buffer;
  readonly key?: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

/**
 * Throws unless the `kcat` binary runs. The wire specs must fail, not skip, without it: `.ci/run`
 * installs it (`apt-get install -y kcat`).
 */
export function assertKcatInstalled(): void {
  const probe = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `kcat is not installed or does not run (${probe.error?.message ?? probe.stderr.trim()}): ` +
        'install it with `apt-get update && apt-get install -y kcat` (.ci/run does this)',
    );
  }
}

/**
 * Produces one record with kcat. The value goes through a file, which kcat sends whole as one message, so
 * any bytes (0x00, newlines, invalid UTF-8) arrive exactly.
 */
export async function produceWithKcat(
  brokers: readonly string[],
  topic: string,
  message: KcatMessage,
): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'rxkafka-kcat-'));
  const valueFile = join(folder, 'value');
  try {
    await writeFile(valueFile, message.value);
    const args = ['-b', brokers.join(','), '-P', '-t', topic, '-q'];
    if (message.key !== undefined) args.push('-k', message.key);
    for (const [name, value] of message.headers ?? []) args.push('-H', `${name}=${value}`);
    await run('kcat', [...args, valueFile]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Every record of `topic` from the beginning to its current end, as kcat's JSON envelope gives it. */
export async function consumeWithKcat(brokers: readonly string[], topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run('kcat', [
    '-b',
    brokers.join(','),
    '-C',
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-J',
    '-q',
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => toKcatRecord(JSON.parse(line) as KcatEnvelope));
}

interface KcatEnvelope {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: Array<string | null>;
}

function toKcatRecord(envelope: KcatEnvelope): KcatRecord {
  const flat = envelope.headers ?? [];
  const headers: Array<[string, string | null]> = [];
  for (let i = 0; i < flat.length; i += 2) headers.push([String(flat[i]), flat[i + 1]]);
  return {
    partition: envelope.partition,
    offset: envelope.offset,
    key: envelope.key,
    payload: envelope.payload,
    headers,
  };
}
