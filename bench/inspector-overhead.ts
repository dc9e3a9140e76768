/**
 * The micro-benchmark behind the inspector's cost per record, without Kafka: a KafkaServer on the fake
 * driver (spec/support) runs one synchronous event handler over 1,000,000 records in batches of 500, with
 * and without `startInspector()` attached, each run in a fresh process, the two alternating. It prints each
 * run's CPU microseconds per record and the medians. Run it with `npx ts-node bench/inspector-overhead.ts`
 * (`--rounds N`, default 4). The broker scenarios (a) and (d) of `npm run bench` are the target's proof;
 * this one isolates the inspector's own share, where those cannot tell it from Kafka's noise.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, Payload, silentLogger } from '../lib';
import { startInspector } from '../lib/inspector';
import { FakeKafkaDriver } from '../spec/support/fake-kafka-driver';

const BATCHES = 2_000;
const BATCH_SIZE = 500;
const WARM_UP_BATCHES = 200;

@Controller()
class Counter {
  count = 0;

  @EventPattern('events')
  count1(@Payload() _event: unknown): void {
    this.count += 1;
  }
}

/** One run in this process: CPU and wall microseconds per record over the measured batches. */
async function runOnce(withInspector: boolean): Promise<{ cpuUs: number; wallUs: number }> {
  const container = new Container();
  container.bind(Counter).toSelf().inSingletonScope();
  const driver = new FakeKafkaDriver();
  const server = new KafkaServer(container, { driver, logger: silentLogger } as never);
  const inspector = withInspector
    ? await startInspector({ sources: [server], logger: silentLogger })
    : undefined;
  await server.listen();
  const batch = Array.from({ length: BATCH_SIZE }, (_, index) => ({
    key: `account-${index % 50}`,
    value: JSON.stringify({ id: index, payload: 'x'.repeat(200) }),
  }));
  for (let index = 0; index < WARM_UP_BATCHES; index++) await driver.consumer.deliver('events', 0, batch);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let index = 0; index < BATCHES; index++) await driver.consumer.deliver('events', 0, batch);
  const wallNs = Number(process.hrtime.bigint() - started);
  const { user, system } = process.cpuUsage(cpu);
  await server.close();
  await inspector?.close();
  const records = BATCHES * BATCH_SIZE;
  return { cpuUs: (user + system) / records, wallUs: wallNs / 1_000 / records };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'off' || mode === 'on') {
    process.stdout.write(JSON.stringify(await runOnce(mode === 'on')));
    return;
  }
  const roundsAt = process.argv.indexOf('--rounds');
  const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 4;
  const runs: Record<'off' | 'on', Array<{ cpuUs: number; wallUs: number }>> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternating, and the other way round every second round: neither always runs after the other.
    for (const each of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const output = execFileSync(process.execPath, [...process.execArgv, __filename, each], {
        encoding: 'utf8',
      });
      const run = JSON.parse(output) as { cpuUs: number; wallUs: number };
      runs[each].push(run);
      console.log(
        `round ${round + 1} ${each}: CPU ${run.cpuUs.toFixed(2)} µs/record, wall ${run.wallUs.toFixed(2)}`,
      );
    }
  }
  const cpu = { off: median(runs.off.map((run) => run.cpuUs)), on: median(runs.on.map((run) => run.cpuUs)) };
  const wall = {
    off: median(runs.off.map((run) => run.wallUs)),
    on: median(runs.on.map((run) => run.wallUs)),
  };
  console.log(
    `medians: CPU ${cpu.off.toFixed(2)} → ${cpu.on.toFixed(2)} µs/record (+${(cpu.on - cpu.off).toFixed(2)}), ` +
      `wall ${wall.off.toFixed(2)} → ${wall.on.toFixed(2)} (${(wall.off / wall.on).toFixed(2)}× the records/s)`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
