import { expect } from 'chai';
import { RxKafkaError } from '../../../lib/errors';
import { ConnectSteps } from '../../../lib/kafka/kafkajs/connect-steps';

const TARGET = { clientId: 'orders-server', brokers: ['127.0.0.1:9092'] };

function closedConnection(): Error {
  return Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });
}

describe('ConnectSteps', () => {
  it('probes the brokers before each connect until one succeeded, then no more', async () => {
    let probes = 0;
    const steps = new ConnectSteps(TARGET, async () => void (probes += 1));
    await steps.connect(async () => undefined);
    await steps.connect(async () => undefined);
    expect(probes).to.equal(1);
  });

  it('fails a connect with the probe’s error, recognised, without running the step', async () => {
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
      name: 'KafkaJSConnectionError',
      code: 'ECONNREFUSED',
    });
    let ran = false;
    const steps = new ConnectSteps(TARGET, () => Promise.reject(refused));
    const error = await steps.connect(async () => void (ran = true)).catch((rejected: unknown) => rejected);
    expect(ran).to.equal(false);
    expect(error).to.have.property('code', 'RXK_BROKER_UNREACHABLE');
    expect(error).to.have.property('cause', refused);
  });

  it('reads a closed connection as a likely TLS mismatch until a broker answered past the connect', async () => {
    const steps = new ConnectSteps(TARGET, async () => undefined);
    const closeSubscribe = () =>
      steps.run(() => Promise.reject(closedConnection())).catch((error: unknown) => error);
    expect(await closeSubscribe()).to.have.property('code', 'RXK_TLS_FAILED');
    // A SASL listener answers ApiVersions (all kafkajs's connect() asks) before the login it then requires.
    await steps.connect(async () => undefined);
    expect(await closeSubscribe()).to.have.property('code', 'RXK_TLS_FAILED');
    await steps.run(async () => undefined);
    const after = await closeSubscribe();
    expect(RxKafkaError.isRxKafkaError(after)).to.equal(false);
    expect(after).to.have.property('name', 'KafkaJSConnectionClosedError');
  });

  it('counts an error response (a missing topic) as an answer: a closed connection after it is no TLS guess', async () => {
    const steps = new ConnectSteps(TARGET, async () => undefined);
    const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    await steps.run(() => Promise.reject(unknownTopic)).catch(() => undefined);
    const after = await steps.run(() => Promise.reject(closedConnection())).catch((error: unknown) => error);
    expect(RxKafkaError.isRxKafkaError(after)).to.equal(false);
  });

  it('passes an rxkafka error a step threw (a missing topic) on as it is', async () => {
    const missing = new RxKafkaError('RXK_TOPIC_NOT_FOUND', "topic 'x' does not exist", {
      cause: closedConnection(),
    });
    const steps = new ConnectSteps(TARGET, async () => undefined);
    expect(await steps.run(() => Promise.reject(missing)).catch((error: unknown) => error)).to.equal(missing);
  });
});
