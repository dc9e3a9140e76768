import { expect } from 'chai';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupMessagesPerPartition } from '../../../lib/kafka/kafkajs/linear-partition-grouping';
import { fuzzParameters } from '../../support/fuzz';

type Grouping = typeof groupMessagesPerPartition;

/** kafkajs's own grouping, evaluated from its file (the module cache holds the replacement). */
function loadKafkajsGrouping(): Grouping {
  const path = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');
  const loaded = { exports: {} as unknown };
  new Function('module', 'exports', 'require', readFileSync(path, 'utf8'))(loaded, loaded.exports, require);
  return loaded.exports as Grouping;
}

describe('the linear partition grouping (kafkajs producers)', () => {
  const kafkajsGrouping = loadKafkajsGrouping();

  // Each case in a process of its own, since which module loads kafkajs first is decided once per process.
  // The script records the grouping function each kafkajs producer chain took (sendMessages.js requires it).
  const probe = (loadFirst: string): string => {
    const script = `
      const Module = require('node:module');
      const load = Module._load;
      const taken = [];
      Module._load = function (request, parent, ...rest) {
        const loaded = load.call(this, request, parent, ...rest);
        if (request === './groupMessagesPerPartition' && parent.filename.endsWith('sendMessages.js')) taken.push(loaded);
        return loaded;
      };
      ${loadFirst}
      const { KafkaClient } = require('./lib');
      const { groupMessagesPerPartition } = require('./lib/kafka/kafkajs/linear-partition-grouping');
      const { Kafka } = require('./lib/kafka/kafkajs/kafkajs-library');
      new KafkaClient({ client: { brokers: ['127.0.0.1:1'] } });
      console.log(JSON.stringify({
        taken: taken.map((grouping) => (grouping === groupMessagesPerPartition ? 'linear' : 'kafkajs')),
        applicationsKafka: require('kafkajs').Kafka === Kafka ? 'shared' : 'its own',
      }));`;
    return execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../../..'),
      encoding: 'utf8',
    }).trim();
  };

  it("is the grouping of rxkafka's own copy when rxkafka loads kafkajs first; the application's gets its own", () => {
    expect(JSON.parse(probe(''))).to.deep.equal({
      taken: ['linear'],
      applicationsKafka: 'its own',
    });
  });

  it("is the grouping of rxkafka's producers when the application loaded kafkajs first, which keeps its own", () => {
    expect(JSON.parse(probe("require('kafkajs');"))).to.deep.equal({
      taken: ['kafkajs', 'linear'],
      applicationsKafka: 'its own',
    });
  });

  it('groups any messages as kafkajs does: the same partitions, each in the order given', () => {
    const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2 }), { maxLength: 300 }), (partitions) => {
        const messages = partitions.map((partition, index) => ({ value: String(index), partition }));
        const input = {
          topic: 't',
          partitionMetadata,
          messages,
          partitioner: ({ message }: { message: { partition: number } }) => message.partition,
        };
        const ours = groupMessagesPerPartition(input);
        expect(ours).to.deep.equal(kafkajsGrouping(input));
        expect(Object.keys(ours)).to.deep.equal(Object.keys(kafkajsGrouping(input)));
      }),
      fuzzParameters(200),
    );
  });

  it('returns no groups for a topic without partition metadata, as kafkajs does', () => {
    const input = { topic: 't', partitionMetadata: [], messages: [{ value: 'a' }], partitioner: () => 0 };
    expect(groupMessagesPerPartition(input)).to.deep.equal({});
    expect(kafkajsGrouping(input)).to.deep.equal({});
  });

  it('asks the partitioner once per message, with the topic and the metadata', () => {
    const calls: string[] = [];
    const partitionMetadata = [{ partitionId: 0 }];
    groupMessagesPerPartition({
      topic: 'orders',
      partitionMetadata,
      messages: [{ value: 'a' }, { value: 'b' }],
      partitioner: ({ topic, partitionMetadata: metadata, message }) => {
        calls.push(`${topic}:${message.value}:${metadata === partitionMetadata}`);
        return 0;
      },
    });
    expect(calls).to.deep.equal(['orders:a:true', 'orders:b:true']);
  });
});
