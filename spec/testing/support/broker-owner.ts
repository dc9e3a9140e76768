/**
 * A process that owns a local broker, for the specs that kill it: starts startLocalKafka() with the options in
 * argv[2] (JSON), then prints one JSON line, `{ "ready": true, "nodes": [{ "pid", "dir" }], "folder" }`, and
 * waits to be killed. It installs no signal handler, so a signal ends it the way it ends an unprepared program.
 */
import { dirname } from 'node:path';
import { startLocalKafka, type LocalKafkaOptions } from '../../../lib/testing';

const STARTED = /^node (\d+) runs as pid (\d+), its data in (.+)$/;

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as LocalKafkaOptions;
  const nodes: Array<{ id: number; pid: number; dir: string }> = [];
  await startLocalKafka({
    ...options,
    provider: 'maven',
    logger: {
      info: (message) => {
        process.stderr.write(`[broker-owner] ${message}\n`);
        const started = STARTED.exec(message);
        if (started) nodes.push({ id: Number(started[1]), pid: Number(started[2]), dir: started[3] });
      },
    },
  });
  const folders = [...new Set(nodes.map((node) => dirname(node.dir)))];
  process.stdout.write(`${JSON.stringify({ ready: true, nodes, folders })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[broker-owner] ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
