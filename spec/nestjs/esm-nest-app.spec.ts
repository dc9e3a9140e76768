import type { ClientKafka } from '@nestjs/microservices';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { timeout } from 'rxjs';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { readNestjsVersion } from '../support/nestjs-major';
import { createTopicsReady } from '../interop/support/create-topics-ready';
import { eventually } from '../interop/support/eventually';
import { connectNestClient } from '../interop/support/nest-client';
import { observe } from '../interop/support/observe';
import { createEsmNestApp } from './support/esm-nest-app';

describe('rxkafka/nestjs in an ES module NestJS 12 app (broker)', function () {
  // A child process that loads NestJS 12 and joins a group before the first request.
  this.timeout(120_000);
  const topic = uniqueName('esm-nest.find');
  let folder: string | undefined;
  let child: ChildProcess | undefined;
  let output = '';
  let client: ClientKafka | undefined;

  before(async () => {
    const { brokers } = await useTestBroker();
    await createTopicsReady([{ topic }, { topic: `${topic}.reply` }]);
    folder = createEsmNestApp('12');
    child = spawn(process.execPath, ['main.mjs'], {
      cwd: folder,
      env: { ...process.env, BROKERS: brokers.join(','), TOPIC: topic, GROUP: uniqueName('esm-nest-app') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = () => child?.exitCode !== null;
    await eventually(() => output.includes('listening') || exited(), 'the ESM app to listen', 60_000);
    if (!output.includes('listening')) throw new Error(`the ESM app exited ${child.exitCode}:\n${output}`);
    client = await connectNestClient([topic], { brokers, groupId: uniqueName('esm-nest-client') });
  });

  after(async () => {
    await client?.close();
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  function find(id: number) {
    if (!client) throw new Error('the NestJS client did not connect');
    return observe(client.send(topic, { id }).pipe(timeout(20_000)));
  }

  it('imports NestJS 12 and rxkafka/nestjs, the CommonJS build, from one ES module', () => {
    const listening = /^listening (.*)$/m.exec(output)?.[1] ?? '{}';
    expect(JSON.parse(listening)).to.deep.equal({ nestjs: readNestjsVersion('12') });
    expect(readNestjsVersion('12')).to.match(/^12\./);
  });

  it("answers a request through the broker, with the app's own NestJS 12 KafkaContext", async () => {
    expect(await find(2)).to.deep.equal([
      { next: { id: 2, name: 'Bo', topic, kafkaContext: true } },
      { complete: true },
    ]);
  });

  it('answers an RpcException with an object as NestJS 11 does: the object is the error', async () => {
    expect(await find(9)).to.deep.equal([{ error: { code: 'HERO_NOT_FOUND', id: 9 } }]);
  });

  it('answers an RpcException with a string as NestJS 11 does: status "error" and the message', async () => {
    expect(await find(0)).to.deep.equal([{ error: { status: 'error', message: 'no hero 0' } }]);
  });

  it('answers an unknown error as NestJS 11 does: "Internal server error"', async () => {
    expect(await find(13)).to.deep.equal([{ error: { status: 'error', message: 'Internal server error' } }]);
  });
});
