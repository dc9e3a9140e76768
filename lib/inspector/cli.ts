#!/usr/bin/env node
/**
 * `rxkafka inspect <recording.jsonl> [--port N] [--host H]`: serves a recording in the inspector page.
 */
import { startInspector } from './start-inspector';

const USAGE = 'usage: rxkafka inspect <recording.jsonl> [--port N] [--host H]';

async function main(argv: readonly string[]): Promise<void> {
  const [command, file, ...rest] = argv;
  if (command !== 'inspect' || !file) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const flag = (name: string): string | undefined => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const port = Number(flag('--port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port must be a port number, got ${flag('--port')}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const inspector = await startInspector({ replay: file, port, host: flag('--host') ?? '127.0.0.1' });
  process.stdout.write(`rxkafka inspector: ${inspector.url} (replaying ${file}; Ctrl-C stops)\n`);
  const stop = () => void inspector.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
