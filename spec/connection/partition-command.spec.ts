import { expect } from 'chai';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { RecordingLogger } from '../support/recording-logger';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

const TOPIC = 'orders.placed';

function createConnection(pausesPartitions = true) {
  const driver = new FakeKafkaDriver();
  driver.capabilities = { joinsAfterConsume: true, pausesPartitions };
  const logger = new RecordingLogger();
  const eachBatch = async ({ batch, resolveOffset }: FetchedBatch) => {
    for (const message of batch.messages) resolveOffset(message.offset);
  };
  const connection = new KafkaConnection({
    driver,
    clientId: 'orders-server',
    logger,
    consumer: { groupId: 'orders', topics: [TOPIC], fromBeginning: true, eachBatch },
  });
  driver.consumer.assignment = { [TOPIC]: [0, 1] };
  return { driver, connection, logger };
}

const stateOf = (connection: KafkaConnection, partition: number) =>
  connection.partitions.find((view) => view.context.partition === partition)?.state;

describe('KafkaConnection.command(): an operator pauses and resumes a partition (on a fake driver)', () => {
  const open: KafkaConnection[] = [];
  afterEach(async () => {
    for (const connection of open.splice(0)) {
      await connection.close('abandon');
      connection.dispose();
    }
  });

  async function connected(pausesPartitions = true) {
    const setup = createConnection(pausesPartitions);
    open.push(setup.connection);
    await setup.connection.connect();
    return setup;
  }

  it('pauses the partition in the consumer and in its actor, and resumes both', async () => {
    const { driver, connection } = await connected();
    const pause = connection.command({ type: 'pause', topic: TOPIC, partition: 1, by: 'ops' });
    expect(pause).to.deep.equal({ accepted: true });
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/1`]);
    expect(stateOf(connection, 1)).to.equal('paused');
    expect(stateOf(connection, 0)).to.equal('idle');
    const paused = connection.partitions.find((view) => view.context.partition === 1)!.context;
    expect(paused.pausedBy).to.equal('ops');
    expect(paused.pausedAt).to.be.a('number');

    expect(connection.command({ type: 'resume', topic: TOPIC, partition: 1, by: 'ops' })).to.deep.equal({
      accepted: true,
    });
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/1`, `resume ${TOPIC}/1`]);
    expect(stateOf(connection, 1)).to.equal('idle');
  });

  it('shows the command as an event of the connection actor, with who asked', async () => {
    const { connection } = await connected();
    const events: unknown[] = [];
    const inspection = connection.actor.system.inspect((entry) => {
      if (entry.type === '@xstate.event' && entry.event.type.startsWith('operator.'))
        events.push(entry.event);
    });
    connection.command({ type: 'pause', topic: TOPIC, partition: 0, by: 'ops' });
    inspection.unsubscribe();
    expect(events).to.deep.include.members([
      { type: 'operator.pause', topic: TOPIC, partition: 0, by: 'ops', at: (events[0] as { at: number }).at },
    ]);
    // The connection forwards it to the partition's actor, whose edge it is.
    expect(events.some((event) => !('topic' in (event as object)))).to.equal(true);
  });

  it('refuses what the partition actor does not take now, with the reason, and changes nothing', async () => {
    const { driver, connection } = await connected();
    expect(connection.command({ type: 'resume', topic: TOPIC, partition: 0, by: 'ops' })).to.deep.equal({
      accepted: false,
      reason: `partition ${TOPIC}/0 is idle: only a paused partition can be resumed`,
    });
    connection.command({ type: 'pause', topic: TOPIC, partition: 0, by: 'ops' });
    expect(
      connection.command({ type: 'pause', topic: TOPIC, partition: 0, by: 'someone-else' }),
    ).to.deep.equal({
      accepted: false,
      reason: `partition ${TOPIC}/0 is paused: only an idle or processing partition can be paused`,
    });
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/0`]);
    expect(connection.partitions.find((view) => view.context.partition === 0)!.context.pausedBy).to.equal(
      'ops',
    );
  });

  it('lifts the consumer’s pause of a partition KIP-848 takes away, keeping the other paused', async () => {
    const { driver, connection } = await connected();
    connection.command({ type: 'pause', topic: TOPIC, partition: 0, by: 'ops' });
    connection.command({ type: 'pause', topic: TOPIC, partition: 1, by: 'ops' });
    driver.consumer.revokePartitions({ [TOPIC]: [1] });
    expect(driver.consumer.pauses).to.deep.equal([
      `pause ${TOPIC}/0`,
      `pause ${TOPIC}/1`,
      `resume ${TOPIC}/1`,
    ]);
    expect(
      connection.partitions.map((view) => `${view.context.partition}=${String(view.state)}`),
    ).to.deep.equal(['0=paused']);
  });

  it('refuses a partition the member does not hold, naming it', async () => {
    const { driver, connection } = await connected();
    expect(connection.command({ type: 'pause', topic: TOPIC, partition: 7, by: 'ops' })).to.deep.equal({
      accepted: false,
      reason: `partition ${TOPIC}/7 is not assigned to connection orders-server`,
    });
    expect(connection.command({ type: 'pause', topic: 'other', partition: 0, by: 'ops' }).accepted).to.equal(
      false,
    );
    expect(driver.consumer.pauses).to.deep.equal([]);
  });

  it('refuses while the connection is not assigned, naming its state', async () => {
    const { connection } = createConnection();
    open.push(connection);
    expect(connection.command({ type: 'pause', topic: TOPIC, partition: 0, by: 'ops' })).to.deep.equal({
      accepted: false,
      reason: 'connection orders-server is idle, not assigned: pause once it holds its partitions',
    });
  });

  it('refuses on a driver that cannot pause one partition, saying which can', async () => {
    const { driver, connection } = await connected(false);
    const outcome = connection.command({ type: 'pause', topic: TOPIC, partition: 0, by: 'ops' });
    expect(outcome).to.deep.equal({
      accepted: false,
      reason: "connection orders-server's driver cannot pause one partition: use driver 'kafkajs'",
    });
    expect(driver.consumer.pauses).to.deep.equal([]);
  });

  it('keeps the pause across a rebalance that keeps the partition, and lifts it when the partition leaves', async () => {
    const { driver, connection } = await connected();
    connection.command({ type: 'pause', topic: TOPIC, partition: 1, by: 'ops' });
    driver.consumer.rebalance({ [TOPIC]: [0, 1] });
    expect(stateOf(connection, 1)).to.equal('paused');
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/1`]);

    driver.consumer.rebalance({ [TOPIC]: [0] });
    expect(stateOf(connection, 1)).to.equal(undefined);
    // The consumer would otherwise keep the partition paused if it came back to this member.
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/1`, `resume ${TOPIC}/1`]);
    driver.consumer.rebalance({ [TOPIC]: [0, 1] });
    expect(stateOf(connection, 1)).to.equal('idle');
  });

  it('leaves an operator’s pause alone when a retry topic’s due time asks to resume the partition', async () => {
    const { driver, connection } = await connected();
    connection.command({ type: 'pause', topic: TOPIC, partition: 1, by: 'ops' });
    connection.resume(TOPIC, 1);
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/1`]);
    connection.resume(TOPIC, 0);
    expect(driver.consumer.pauses).to.deep.equal([`pause ${TOPIC}/1`, `resume ${TOPIC}/0`]);
  });

  it('logs each pause and resume', async () => {
    const { connection, logger } = await connected();
    connection.command({ type: 'pause', topic: TOPIC, partition: 1, by: 'ops' });
    connection.command({ type: 'resume', topic: TOPIC, partition: 1, by: 'ops' });
    expect(logger.find('info', `partition ${TOPIC}/1 paused`)).to.have.length(1);
    expect(logger.find('info', `partition ${TOPIC}/1 resumed`)).to.have.length(1);
  });
});
