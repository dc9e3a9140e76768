import { expect } from 'chai';
import { firstValueFrom, filter, scan } from 'rxjs';
import { consume, silentLogger } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import {
  createTopics,
  produceRecords,
  produceTransactionRounds,
  uniqueName,
} from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';

interface Round {
  readonly round: number;
  readonly n: number;
}

describe('read_committed group members (integration)', function () {
  this.timeout(60_000);

  it('consume() hands over no record of an aborted transaction, also two aborted ones of a producer in one fetch', async () => {
    const { brokers } = await useTestBroker();
    const [topic] = await createTopics([{ topic: uniqueName('read-committed'), numPartitions: 1 }]);
    // Aborted, aborted, committed, aborted, then a plain record that ends the read.
    await produceTransactionRounds(topic, [false, false, true, false]);
    await produceRecords(topic, [{ partition: 0, value: JSON.stringify({ round: -1, n: 0 }) }]);
    const stream = consume<Round>({
      ...specDriver(),
      client: { brokers: [...brokers] },
      groupId: uniqueName('read-committed-group'),
      topics: [topic],
      fromBeginning: true,
      logger: silentLogger,
    });

    const seen = await firstValueFrom(
      stream.pipe(
        scan((values: Round[], record) => {
          record.commit();
          return [...values, record.value];
        }, []),
        filter((values) => values.some(({ round }) => round === -1)),
      ),
    );

    expect(seen).to.deep.equal([
      { round: 2, n: 0 },
      { round: 2, n: 1 },
      { round: -1, n: 0 },
    ]);
  });
});
