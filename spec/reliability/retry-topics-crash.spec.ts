import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Producer } from 'kafkajs';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { eventually } from './support/eventually';
import { createRawKafka } from './support/raw-kafka';
import { RecordCollector } from './support/record-collector';
import { Tally } from './support/tally';

const PARTITIONS = 4;
// Long enough that the retried records still wait in the first retry topic when the process is killed.
const DELAYS_MS = [4_000, 8_000];

interface Child {
  readonly process: ChildProcess;
  output(): string;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register', 'spec/reliability/support/retry-child.ts'],
    {
      env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { process: child, output: () => output };
}

/** The ids of the handler's runs with `outcome` ("ok" or "fail") in a child's output. */
function runs(outputs: readonly string[], outcome: 'ok' | 'fail'): Tally<string> {
  const tally = new Tally<string>();
  for (const output of outputs) {
    for (const line of output.split('\n'))
      if (line.startsWith(`${outcome} `)) tally.add(line.slice(outcome.length + 1));
  }
  return tally;
}

async function kill(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGKILL');
  await exited;
}

describe('retry topics, the consuming process SIGKILLed while records wait in them (broker)', function () {
  const children: Child[] = [];
  let producer: Producer | undefined;
  let collector: RecordCollector | undefined;

  after(async function () {
    this.timeout(30_000);
    for (const child of children) await kill(child);
    await collector?.stop();
    await producer?.disconnect();
  });

  it('handles every record at least once or dead-letters it after a restart, and reports the duplicates', async function () {
    // Two child processes under ts-node, a group that must first drop the killed member, and the delays.
    this.timeout(240_000);
    const { brokers } = await useTestBroker();
    const topic = uniqueName('retry-crash');
    const firstRetryTopic = `${topic}.retry.${DELAYS_MS[0]}`;
    const dlt = `${topic}.dlt`;
    await createTopics([{ topic, numPartitions: PARTITIONS }]);
    const env = {
      TOPIC: topic,
      BROKERS: brokers.join(','),
      GROUP: uniqueName('retry-crash-app'),
      RETRY_DELAYS_MS: DELAYS_MS.join(','),
    };
    const ids = Array.from({ length: 300 }, (_, index) =>
      index % 30 === 7 ? `poison-${index}` : index % 5 === 2 ? `flaky-${index}` : `fine-${index}`,
    );
    const retried = ids.filter((id) => !id.startsWith('fine'));
    const succeeding = ids.filter((id) => !id.startsWith('poison'));
    const poison = ids.filter((id) => id.startsWith('poison'));

    const first = startChild({ ...env, NAME: 'first' });
    children.push(first);
    await eventually(() => first.output().includes('listening'), 'the first process to listen', 90_000);
    collector = await RecordCollector.start(brokers, [firstRetryTopic, dlt]);
    producer = createRawKafka(brokers).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: ids.map((id, index) => ({ key: `customer-${index % 16}`, value: JSON.stringify({ id }) })),
    });

    // Every record that fails on the source topic is in the first retry topic, not yet due: kill now.
    const idOf = (value: Buffer | null) => (JSON.parse(String(value)) as { id: string }).id;
    await eventually(
      () =>
        new Set(collector!.of(firstRetryTopic).map((record) => idOf(record.message.value))).size ===
        retried.length,
      'every failing record forwarded to the first retry topic',
      60_000,
      () => `${collector!.of(firstRetryTopic).length} of ${retried.length} forwarded`,
    );
    await kill(first);
    const okBeforeKill = runs([first.output()], 'ok');
    const failBeforeKill = runs([first.output()], 'fail');
    const runBeforeKill = (id: string) => okBeforeKill.count(id) + failBeforeKill.count(id) > 0;

    const second = startChild({ ...env, NAME: 'second' });
    children.push(second);
    const deadLettered = () => new Set(collector!.of(dlt).map((record) => idOf(record.message.value)));
    await eventually(
      () => {
        const ok = runs([first.output(), second.output()], 'ok');
        return ok.missing(succeeding).length === 0 && poison.every((id) => deadLettered().has(id));
      },
      'every record handled successfully or dead-lettered after the restart',
      180_000,
      () => {
        const ok = runs([first.output(), second.output()], 'ok');
        return `${ok.missing(succeeding).length} not yet handled, ${poison.length - deadLettered().size} not yet dead-lettered`;
      },
    );

    const ok = runs([first.output(), second.output()], 'ok');
    const letters = new Tally<string>();
    for (const record of collector.of(dlt)) letters.add(idOf(record.message.value));
    process.stdout.write(
      `      ${ids.length} records (${retried.length} retried, ${poison.length} for the dead-letter topic); ` +
        `${okBeforeKill.total} successes before the kill, ${ok.total} in all; duplicates: ${ok.duplicates} ` +
        `successes (${ok.repeated().length} records), ${letters.duplicates} dead letters\n`,
    );
    expect(ok.missing(succeeding), 'records never handled successfully').to.deep.equal([]);
    expect(letters.missing(poison), 'poison records missing from the dead-letter topic').to.deep.equal([]);
    expect(
      ok.repeated().filter((id) => id.startsWith('poison')),
      'poison records that succeeded',
    ).to.deep.equal([]);
    // At least once, bounded: a record is repeated only when the killed process had already run it (its
    // offset or its retry copy's not yet committed); what only the restarted process saw ran once.
    expect(
      ok.repeated().filter((id) => !runBeforeKill(id)),
      'repeated without a run before the kill',
    ).to.deep.equal([]);
    expect(
      letters.repeated().filter((id) => !runBeforeKill(id)),
      'dead-lettered twice without a run before the kill',
    ).to.deep.equal([]);
  });
});
