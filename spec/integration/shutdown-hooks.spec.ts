import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';

describe('KafkaServer.enableShutdownHooks() (integration)', () => {
  it('drains on SIGTERM, logs the drain report, then exits by the signal', async () => {
    const { brokers } = await useTestBroker();
    const [topic] = await createTopics([{ topic: uniqueName('shutdown') }]);
    const child = spawn(process.execPath, ['-r', 'ts-node/register', 'spec/support/shutdown-child.ts'], {
      env: { ...process.env, TOPIC: topic, BROKERS: brokers.join(','), TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 60_000;
    while (!output.includes('listening')) {
      if (Date.now() > deadline) throw new Error(`the child never listened:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGTERM');
    const { signal } = await exited;
    expect(signal).to.equal('SIGTERM');
    expect(output).to.contain('SIGTERM: draining before exit');
    expect(output).to.match(/INFO drained \{"mode":"drain","timedOut":false/);
  });
});
