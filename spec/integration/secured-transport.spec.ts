import { expect } from 'chai';
import { Container } from 'inversify';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { tracingChannel } from 'node:diagnostics_channel';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  RxKafkaError,
} from '../../lib';
import { startLocalKafka, type LocalKafka } from '../../lib/testing';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { RecordingLogger } from '../support/recording-logger';
import { SPEC_DRIVER, specDriver } from '../support/spec-driver';

/** Text a request carries; no log line may show it. */
const PAYLOAD_MARKER = 'payload-only-the-handler-may-see';

@Controller()
class SecuredEchoController {
  @MessagePattern('secured.echo')
  echo(@Payload() data: { text: string }): { echoed: number } {
    return { echoed: data.text.length };
  }
}

/** What listen() or connect() rejected with, and how many connect attempts the machine made. */
interface ConnectOutcome {
  readonly error: RxKafkaError;
  readonly attempts: number;
  readonly state: string;
}

/** What @platformatic/kafka's connections did while a watch ran: connections opened, logins refused. */
interface ConnectCounts {
  opened: number;
  refusedLogins: number;
}

/**
 * Counts @platformatic/kafka's connects through its diagnostics channel (it logs nothing itself): each that
 * succeeded (after TLS and the login), and each that failed with a refused login. Ends with `stop()`.
 */
function watchPlatformaticConnects(): { counts: ConnectCounts; stop(): void } {
  const counts: ConnectCounts = { opened: 0, refusedLogins: 0 };
  const channel = tracingChannel<string, { error?: unknown }>('plt:kafka:connections:connects');
  const ignore = () => undefined;
  const handlers = {
    start: ignore,
    end: ignore,
    asyncStart: ignore,
    asyncEnd: (context: { error?: unknown }) => {
      if (context.error === undefined) counts.opened += 1;
    },
    error: (context: { error?: unknown }) => {
      if (hasErrorCode(context.error, 'PLT_KFK_AUTHENTICATION')) counts.refusedLogins += 1;
    },
  };
  channel.subscribe(handlers);
  return { counts, stop: () => channel.unsubscribe(handlers) };
}

/** True when `error` or an error nested in it (its `cause`, an aggregate's `errors`) has `code`. */
function hasErrorCode(error: unknown, code: string, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return false;
  const { code: own, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (own === code) return true;
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])];
  return nested.some((inner) => hasErrorCode(inner, code, depth + 1));
}

describe('KafkaServer and KafkaClient over SASL_SSL (integration)', function () {
  // A secured broker of this spec's own: a fresh one, so its first start is a real first start.
  this.timeout(180_000);
  let kafka: LocalKafka;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    kafka = await startLocalKafka({ provider: 'maven', security: 'sasl_ssl', heapMb: 384 });
    const admin = new Kafka({ ...kafka.clientConfig, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: 'secured.echo' }, { topic: 'secured.echo.reply' }],
    });
    await admin.disconnect();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  after(async () => {
    await kafka?.stop();
  });

  /** Every secret of the broker and the request payload; none may appear in a log line. */
  function secrets(): string[] {
    const security = kafka.security;
    if (!security) throw new Error('the broker is not secured');
    return [security.user.password, security.wrongPassword.password, PAYLOAD_MARKER];
  }

  function expectNoSecretsLogged(logger: RecordingLogger): void {
    const text = JSON.stringify(logger.entries, (_key, value: unknown) =>
      Buffer.isBuffer(value) ? value.toString('latin1') : value,
    );
    for (const secret of secrets()) expect(text).not.to.contain(secret);
    expect(text).not.to.match(/authBytes|c=biws|,p=/);
  }

  function createServer(client: KafkaConfig, logger: RecordingLogger): KafkaServer {
    const container = new Container();
    registerControllers(container, [SecuredEchoController]);
    const server = new KafkaServer(container, {
      client: { clientId: uniqueName('secured'), ...client },
      consumer: { groupId: uniqueName('secured-group') },
      subscribe: { fromBeginning: true },
      logger,
      ...specDriver(),
    });
    cleanups.push(() => server.close());
    return server;
  }

  /** Starts a server with `client`, expecting listen() to fail; says how. */
  async function listenFailure(client: KafkaConfig, logger = new RecordingLogger()): Promise<ConnectOutcome> {
    const server = createServer(client, logger);
    const error = await server.listen().then(
      () => {
        throw new Error('listen() resolved against a broker that should refuse it');
      },
      (rejected: unknown) => rejected,
    );
    if (!RxKafkaError.isRxKafkaError(error)) throw error;
    const snapshot = server.connection.actor.getSnapshot();
    expectNoSecretsLogged(logger);
    return { error, attempts: snapshot.context.connectAttempts, state: server.connection.state };
  }

  context('with the right user', () => {
    it('answers a request, and a normal first start on a fresh broker logs no ERROR line', async () => {
      const logger = new RecordingLogger();
      // kafkajs at debug: the SASL exchange it logs there must not get through either. @platformatic/kafka
      // has no log of its own (and no logLevel option): its connects are watched on its diagnostics channel.
      const client =
        SPEC_DRIVER === 'kafkajs' ? { ...kafka.clientConfig, logLevel: logLevel.DEBUG } : kafka.clientConfig;
      const watch = watchPlatformaticConnects();
      cleanups.push(async () => watch.stop());
      const server = createServer(client, logger);
      await server.listen();
      const requester = new KafkaClient({
        client: { ...client, clientId: uniqueName('secured-client') },
        consumer: { groupId: uniqueName('secured-client-group') },
        requestTimeoutMs: 30_000,
        logger,
        ...specDriver(),
      });
      cleanups.push(() => requester.close());
      requester.subscribeToResponseOf('secured.echo');
      await requester.connect();
      const reply = await firstValueFrom(requester.send('secured.echo', { text: PAYLOAD_MARKER }));
      expect(reply).to.deep.equal({ echoed: PAYLOAD_MARKER.length });
      expect(logger.entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
      if (SPEC_DRIVER === 'kafkajs') {
        // The spec saw the SASL exchange at debug, so the check below is not vacuous.
        expect(logger.find('debug', 'Response SaslAuthenticate')).to.have.length.above(0);
      } else {
        expect(watch.counts).to.include({ refusedLogins: 0 });
        expect(watch.counts.opened).to.be.above(0);
      }
      expectNoSecretsLogged(logger);
    });
  });

  context('with a wrong password', () => {
    it('rejects listen() with RXK_AUTHENTICATION_FAILED after one attempt, naming the user, not the password', async () => {
      const security = kafka.security!;
      const outcome = await listenFailure({
        ...kafka.clientConfig,
        sasl: { mechanism: 'scram-sha-512', ...security.wrongPassword },
      });
      expect(outcome.error.code).to.equal('RXK_AUTHENTICATION_FAILED');
      expect(outcome.error.retriable).to.equal(false);
      expect(outcome.error.message).to.contain(`user '${security.user.username}'`);
      expect(outcome.error.message).to.contain('client.sasl.password');
      if (SPEC_DRIVER === 'kafkajs') {
        expect((outcome.error.cause as Error).name).to.equal('KafkaJSSASLAuthenticationError');
      } else {
        expect(hasErrorCode(outcome.error.cause, 'PLT_KFK_AUTHENTICATION')).to.equal(true);
      }
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });

    it('rejects the client’s connect() the same way', async () => {
      const logger = new RecordingLogger();
      const requester = new KafkaClient({
        client: {
          ...kafka.clientConfig,
          clientId: uniqueName('secured-client'),
          sasl: { mechanism: 'scram-sha-512', ...kafka.security!.wrongPassword },
        },
        logger,
        ...specDriver(),
      });
      cleanups.push(() => requester.close());
      requester.subscribeToResponseOf('secured.echo');
      const watch = watchPlatformaticConnects();
      const error = await requester
        .connect()
        .catch((rejected: unknown) => rejected)
        .finally(() => watch.stop());
      expect((error as RxKafkaError).code).to.equal('RXK_AUTHENTICATION_FAILED');
      if (SPEC_DRIVER === 'kafkajs') {
        // kafkajs's authenticator logs each refused login once: one line, one login tried.
        const refusals = logger
          .find('error', 'authentication failed')
          .filter((entry) => String(entry.fields.namespace).startsWith('SaslAuthenticator'));
        expect(refusals).to.have.length(1);
      } else {
        // One login tried, not one per retry of @platformatic/kafka's connection.
        expect(watch.counts).to.deep.equal({ opened: 0, refusedLogins: 1 });
      }
      expectNoSecretsLogged(logger);
    });
  });

  context('with a mechanism the broker does not enable', () => {
    it('rejects listen() with RXK_AUTHENTICATION_FAILED naming client.sasl.mechanism', async () => {
      const outcome = await listenFailure({
        ...kafka.clientConfig,
        sasl: { mechanism: 'scram-sha-256', ...kafka.security!.user },
      });
      expect(outcome.error.code).to.equal('RXK_AUTHENTICATION_FAILED');
      expect(outcome.error.message).to.contain('client.sasl.mechanism');
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });
  });

  context('with TLS but no login', () => {
    it('rejects listen() with RXK_AUTHENTICATION_FAILED naming client.sasl', async () => {
      const { sasl: _sasl, ...withoutLogin } = kafka.clientConfig;
      const outcome = await listenFailure(withoutLogin);
      expect(outcome.error.code).to.equal('RXK_AUTHENTICATION_FAILED');
      expect(outcome.error.message).to.contain('set client.sasl');
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });
  });

  context('with a plaintext client against the TLS port', () => {
    it('rejects listen() with RXK_TLS_FAILED naming client.ssl, instead of hanging', async () => {
      const { ssl: _ssl, ...withoutTls } = kafka.clientConfig;
      const outcome = await listenFailure(withoutTls);
      expect(outcome.error.code).to.equal('RXK_TLS_FAILED');
      expect(outcome.error.message).to.contain('set client.ssl');
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });
  });

  context('with a CA the client does not trust', () => {
    it('rejects listen() with RXK_TLS_FAILED naming client.ssl.ca', async () => {
      const outcome = await listenFailure({ ...kafka.clientConfig, ssl: true });
      expect(outcome.error.code).to.equal('RXK_TLS_FAILED');
      expect(outcome.error.message).to.contain('SELF_SIGNED_CERT_IN_CHAIN');
      expect(outcome.error.message).to.contain('client.ssl.ca');
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });
  });

  context('with a certificate that does not name the broker address', () => {
    it('rejects listen() with RXK_TLS_FAILED naming the subjectAltName', async () => {
      const outcome = await listenFailure({
        ...kafka.clientConfig,
        ssl: { ca: [kafka.security!.ca], servername: 'not-the-broker.example' },
      });
      expect(outcome.error.code).to.equal('RXK_TLS_FAILED');
      expect(outcome.error.message).to.contain('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(outcome.error.message).to.contain('subjectAltName');
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });
  });

  context('with a TLS client against a plaintext broker', () => {
    it('rejects listen() with RXK_TLS_FAILED saying the listener is plaintext', async () => {
      const plain = await useTestBroker();
      const outcome = await listenFailure({ brokers: [...plain.brokers], ssl: { ca: [kafka.security!.ca] } });
      expect(outcome.error.code).to.equal('RXK_TLS_FAILED');
      expect(outcome.error.message).to.contain('plaintext listener');
      expect(outcome).to.include({ attempts: 1, state: 'failed' });
    });
  });
});
