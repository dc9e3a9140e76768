import { expect } from 'chai';
import { logLevel } from 'kafkajs';
import { isUnopenedConnectionError } from '../../../lib/kafka/kafkajs/kafkajs-connect-failure';
import { probeBrokers } from '../../../lib/kafka/kafkajs/probe-brokers';
import { findFreePort } from '../../../lib/testing/free-port';

const quiet = () => () => undefined;

describe('probeBrokers() (no broker needed: it tries closed local ports)', () => {
  it('rejects at once, without kafkajs’s retries, when no broker address accepts a connection', async () => {
    const brokers = [`127.0.0.1:${await findFreePort()}`, `127.0.0.1:${await findFreePort()}`];
    const startedAt = Date.now();
    const error = await probeBrokers(
      { brokers, clientId: 'probe-spec', logLevel: logLevel.NOTHING },
      quiet,
      isUnopenedConnectionError,
    ).catch((rejected: unknown) => rejected);
    // kafkajs's own retries of the same connect take about 10 s.
    expect(Date.now() - startedAt).to.be.below(5_000);
    expect(isUnopenedConnectionError(error)).to.equal(true);
  });

  it('resolves when the failure is not "nobody there", leaving it to kafkajs’s connect', async () => {
    const brokers = [`127.0.0.1:${await findFreePort()}`];
    await probeBrokers({ brokers, clientId: 'probe-spec' }, quiet, () => false);
  });

  it('does not probe a brokers function (discovery)', async () => {
    let called = 0;
    const brokers = () => {
      called += 1;
      return ['127.0.0.1:1'];
    };
    await probeBrokers({ brokers, clientId: 'probe-spec' }, quiet, isUnopenedConnectionError);
    expect(called).to.equal(0);
  });
});
