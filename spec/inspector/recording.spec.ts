import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RxKafkaError } from '../../lib/errors';
import { readRecording, startInspector } from '../../lib/inspector';

describe('recordings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxkafka-recording-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const line = (to: string) =>
    JSON.stringify({
      kind: 'edge',
      seq: 0,
      at: 1_790_000_000_000,
      member: 'host:1',
      source: 'server',
      from: 'idle',
      event: 'kafka.connect',
      to,
      facts: { assignment: {} },
    });

  it('reads the entries of a JSON-lines file, skipping blank lines', () => {
    const file = join(dir, 'good.jsonl');
    writeFileSync(file, `${line('connecting')}\n\n${line('assigned')}\n`);
    expect(readRecording(file).map((entry) => (entry.kind === 'edge' ? entry.to : ''))).to.deep.equal([
      'connecting',
      'assigned',
    ]);
  });

  it('names the line that is not JSON, or not an entry', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `${line('connecting')}\n{"kind":"edge"\n`);
    expect(() => readRecording(file)).to.throw(RxKafkaError, 'bad.jsonl:2 is not JSON');
    writeFileSync(file, `{"kind":"gossip","at":1,"source":"x"}\n`);
    expect(() => readRecording(file)).to.throw(RxKafkaError, 'bad.jsonl:1 is not an inspector entry');
  });

  it('refuses live sources and a replay file together', async () => {
    const file = join(dir, 'good.jsonl');
    const error = await startInspector({ replay: file, sources: [{ name: 'x', source: {} as never }] }).catch(
      (rejected: unknown) => rejected,
    );
    expect(error).to.be.instanceOf(RxKafkaError);
    expect((error as RxKafkaError).code).to.equal('RXK_INVALID_OPTIONS');
  });

  it('serves a recording from the command line: rxkafka inspect <file>', async function () {
    this.timeout(60_000);
    const file = join(dir, 'good.jsonl');
    const cli = spawn(process.execPath, ['-r', 'ts-node/register', 'lib/inspector/cli.ts', 'inspect', file], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        cli.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match) resolve(match[1]);
        });
        cli.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      const events = await fetch(new URL('events', url));
      const reader = events.body!.getReader();
      let text = '';
      while (!text.includes('event: history')) text += new TextDecoder().decode((await reader.read()).value);
      while (!/event: history\ndata: .*\n\n/.test(text))
        text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(text).to.include('"replay":true');
      expect(text).to.include('"to":"assigned"');
    } finally {
      cli.kill('SIGTERM');
    }
  });

  it('prints its usage and exits 2 without a file', async function () {
    this.timeout(60_000);
    const cli = spawn(process.execPath, ['-r', 'ts-node/register', 'lib/inspector/cli.ts', 'inspect'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    let err = '';
    cli.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => cli.once('close', resolve));
    expect(code).to.equal(2);
    expect(err).to.include('usage: rxkafka inspect <recording.jsonl>');
  });
});
