import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { firstValueFrom } from 'rxjs';
import { KafkaClient, silentLogger } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { createTopicsReady } from '../interop/support/create-topics-ready';
import { eventually } from '../interop/support/eventually';

interface Child {
  readonly process: ChildProcess;
  output(): string;
}

function startChild(env: Record<string, string>): Child {
  // The same NestJS as this process: nestjs-major.ts follows RXKAFKA_NESTJS_MAJOR, which the child inherits.
  const args = [
    '-r',
    'ts-node/register',
    '-r',
    './spec/support/nestjs-major.ts',
    'spec/nestjs/support/nest-app-child.ts',
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: child, output: () => output };
}

describe('A NestJS app on RxKafkaStrategy, SIGKILLed mid-request (broker)', () => {
  const children: Child[] = [];

  after(() => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  });

  it('answers the in-flight request after a restart: the reply is not lost', async function () {
    // Two child processes under ts-node, and a group that must first drop the killed member.
    this.timeout(180_000);
    const { brokers } = await useTestBroker();
    const topic = uniqueName('sigkill');
    await createTopicsReady([{ topic }, { topic: `${topic}.reply` }]);
    const env = { TOPIC: topic, BROKERS: brokers.join(','), GROUP: uniqueName('sigkill-app') };
    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: uniqueName('sigkill-client') },
      consumer: { groupId: uniqueName('sigkill-client') },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      requestTimeoutMs: 120_000,
      ...specDriver(),
    });
    client.subscribeToResponseOf(topic);
    await client.connect();
    try {
      const first = startChild({ ...env, NAME: 'first', HANG: '1' });
      children.push(first);
      await eventually(() => first.output().includes('listening'), 'the first app to listen', 60_000);

      const reply = firstValueFrom(client.send(topic, { hero: 'Ann' }));
      await eventually(() => first.output().includes('handling'), 'the first app to start the request');
      const killed = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGKILL');
      await killed;

      const second = startChild({ ...env, NAME: 'second', HANG: '0' });
      children.push(second);
      expect(await reply).to.deep.equal({ payload: { hero: 'Ann' }, answeredBy: 'second' });
      expect(second.output()).to.contain('handling {"hero":"Ann"}');
    } finally {
      await client.close();
    }
  });
});
