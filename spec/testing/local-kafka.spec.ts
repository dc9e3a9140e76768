import { expect } from 'chai';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RxKafkaError } from '../../lib/errors';
import { startLocalKafka } from '../../lib/testing';
import { runCommand } from '../../lib/testing/run-command';

/** Runs `work` with environment variables replaced, restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    return await work();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<RxKafkaError> {
  try {
    await promise;
  } catch (error) {
    expect(RxKafkaError.isRxKafkaError(error), String(error)).to.equal(true);
    return error as RxKafkaError;
  }
  throw new Error('expected a rejection');
}

/** A folder holding links to only the named programs, to stand in for PATH. */
async function pathWith(programs: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rxkafka-path-'));
  for (const program of programs) {
    const found = await runCommand('sh', ['-c', `command -v ${program}`]);
    symlinkSync(found.stdout.trim(), join(dir, program));
  }
  return dir;
}

describe('startLocalKafka()', () => {
  context('when Java is missing', () => {
    it('fails with RXK_BROKER_SETUP naming Java and the alternatives', async () => {
      const path = await pathWith(['docker']);
      const error = await withEnv({ PATH: path, KAFKA_BROKERS: undefined }, () =>
        rejectionOf(startLocalKafka({ provider: 'maven' })),
      );
      rmSync(path, { recursive: true });
      expect(error.code).to.equal('RXK_BROKER_SETUP');
      expect(error.message)
        .to.match(/Java was not found/)
        .and.match(/KAFKA_BROKERS/);
    });
  });

  context('when Maven is missing and the jars are not cached', () => {
    it('fails with RXK_BROKER_SETUP naming Maven', async () => {
      const path = await pathWith(['java']);
      const cacheDir = mkdtempSync(join(tmpdir(), 'rxkafka-cache-'));
      const error = await withEnv({ PATH: path, KAFKA_BROKERS: undefined }, () =>
        rejectionOf(startLocalKafka({ provider: 'maven', cacheDir })),
      );
      rmSync(path, { recursive: true });
      rmSync(cacheDir, { recursive: true });
      expect(error.code).to.equal('RXK_BROKER_SETUP');
      expect(error.message).to.match(/Maven \(mvn\) was not found/);
    });
  });

  context('when the requested port is taken', () => {
    let server: Server;
    before((done) => {
      server = createServer().listen(0, '127.0.0.1', done);
    });
    after((done) => {
      server.close(() => done());
    });

    it('fails with RXK_BROKER_SETUP naming the port', async () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const error = await withEnv({ KAFKA_BROKERS: undefined }, () =>
        rejectionOf(startLocalKafka({ provider: 'maven', ports: [port] })),
      );
      expect(error.code).to.equal('RXK_BROKER_SETUP');
      expect(error.message).to.contain(`127.0.0.1:${port}`).and.contain('taken');
    });
  });

  context('when KAFKA_BROKERS points at nothing', () => {
    it('fails with RXK_BROKER_UNREACHABLE naming the address', async () => {
      const error = await withEnv({ KAFKA_BROKERS: '127.0.0.1:1' }, () =>
        rejectionOf(startLocalKafka({ startTimeoutMs: 1_500 })),
      );
      expect(error.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(error.message).to.contain('127.0.0.1:1');
    });
  });

  context("with security 'sasl_ssl' and a provider that rxkafka does not start", () => {
    for (const provider of ['env', 'testcontainers'] as const) {
      it(`fails provider '${provider}' with RXK_INVALID_OPTIONS naming the provider and the fix`, async () => {
        const error = await withEnv({ KAFKA_BROKERS: '127.0.0.1:1' }, () =>
          rejectionOf(startLocalKafka({ provider, security: 'sasl_ssl' })),
        );
        expect(error.code).to.equal('RXK_INVALID_OPTIONS');
        expect(error.context.path).to.equal('provider');
        expect(error.message).to.contain(`got provider '${provider}'`).and.contain("Set provider to 'maven'");
      });
    }
  });

  context('with an unknown security protocol', () => {
    it('fails with RXK_INVALID_OPTIONS naming security', async () => {
      const security = 'ssl' as unknown as 'sasl_ssl';
      const error = await rejectionOf(startLocalKafka({ provider: 'maven', security }));
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal('security');
      expect(error.message).to.contain("'plaintext' or 'sasl_ssl'");
    });
  });

  context('with a bad node count', () => {
    it('fails with RXK_INVALID_OPTIONS', async () => {
      const error = await rejectionOf(startLocalKafka({ nodes: 0 }));
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal('nodes');
    });
  });
});
