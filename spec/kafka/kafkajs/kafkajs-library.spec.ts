import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe("kafkajs-library (rxkafka's copy of kafkajs)", () => {
  // Each case in a process of its own: instrumentations wrap kafkajs when it is required, once per process.
  const probe = (loadFirst: string): { rxkafka: string; application: string } => {
    const script = `
      const { KafkaJsInstrumentation } = require('@opentelemetry/instrumentation-kafkajs');
      ${loadFirst}
      new KafkaJsInstrumentation().enable();
      const { Kafka } = require('./lib/kafka/kafkajs/kafkajs-library');
      const application = require('kafkajs').Kafka;
      const wrapped = (kafka) => ['producer', 'consumer'].filter((name) => kafka.prototype[name].__wrapped === true);
      console.log(JSON.stringify({ rxkafka: wrapped(Kafka).join() || 'none', application: wrapped(application).join() }));`;
    const output = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../../..'),
      encoding: 'utf8',
    });
    return JSON.parse(output.trim()) as { rxkafka: string; application: string };
  };

  it('is not wrapped by @opentelemetry/instrumentation-kafkajs enabled before it loads; the application’s kafkajs is', () => {
    expect(probe('')).to.deep.equal({ rxkafka: 'none', application: 'producer,consumer' });
  });

  it('is not wrapped when the application loaded kafkajs before the instrumentation; the application’s is', () => {
    expect(probe("require('kafkajs');")).to.deep.equal({ rxkafka: 'none', application: 'producer,consumer' });
  });
});
