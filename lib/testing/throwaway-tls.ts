import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RxKafkaError } from '../errors';
import { tail } from './kafka-classpath';
import { randomSecret } from './random-secret';
import { runCommand } from './run-command';

/** A throwaway certificate authority and a broker certificate it signed, as PKCS12 stores for a JVM broker. */
export interface ThrowawayTls {
  /** The CA certificate (PEM), for clients to trust: kafkajs `ssl: { ca: [caPem] }`. */
  readonly caPem: string;
  /** PKCS12 keystore with the broker's key and its chain (broker certificate, CA certificate). */
  readonly keystorePath: string;
  /** Password of the keystore and of the key in it (PKCS12 has one password for both). */
  readonly keystorePassword: string;
  /** PKCS12 truststore holding the CA certificate only (for the broker's own inter-broker connections). */
  readonly truststorePath: string;
  readonly truststorePassword: string;
}

type KeytoolFlags = Readonly<Record<string, string | true | readonly string[]>>;

/** Each keytool run is a short JVM: the C1 compiler alone and a serial GC cut its start (0.55 s to 0.3 s here). */
const KEYTOOL_JVM_FLAGS = ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC'];

export interface ThrowawayTlsOptions {
  /** Folder for the stores; created if missing. Deleting it is the caller's job. */
  readonly dir: string;
  /** Days the certificates are valid. @defaultValue 2 */
  readonly validityDays?: number;
  /** DNS names and IPs of the broker certificate's subjectAltName. @defaultValue ['dns:localhost', 'ip:127.0.0.1'] */
  readonly subjectAltNames?: readonly string[];
}

/**
 * Makes a CA (basic constraints CA:true) and a broker certificate signed by it (EC P-256, SAN localhost and
 * 127.0.0.1) with the JDK's keytool, each step reading and writing files in `dir`. Store passwords are random and
 * reach keytool through its environment (`-storepass:env`), never its command line. The CA's private key is
 * deleted once it has signed, so only the broker's key remains on disk. Throws RXK_BROKER_SETUP when keytool
 * is missing or fails.
 */
export async function createThrowawayTls(options: ThrowawayTlsOptions): Promise<ThrowawayTls> {
  const { dir } = options;
  const validity = String(options.validityDays ?? 2);
  const san = (options.subjectAltNames ?? ['dns:localhost', 'ip:127.0.0.1']).join(',');
  mkdirSync(dir, { recursive: true });
  const caStore = join(dir, 'ca.p12');
  const caPemPath = join(dir, 'ca.pem');
  const csrPath = join(dir, 'broker.csr');
  const signedPath = join(dir, 'broker.pem');
  const keystorePath = join(dir, 'broker.keystore.p12');
  const truststorePath = join(dir, 'broker.truststore.p12');
  const env = {
    ...process.env,
    RXKAFKA_CA_PASS: randomSecret(),
    RXKAFKA_KEYSTORE_PASS: randomSecret(),
    RXKAFKA_TRUSTSTORE_PASS: randomSecret(),
  };
  /** Runs one keytool command; `flags` become `-name value` (`true`: a bare `-name`; a list: the flag repeated). */
  const keytool = async (step: string, command: string, flags: KeytoolFlags): Promise<void> => {
    const args = [...KEYTOOL_JVM_FLAGS, command];
    for (const [name, value] of Object.entries(flags)) {
      if (value === true) args.push(`-${name}`);
      else for (const each of typeof value === 'string' ? [value] : value) args.push(`-${name}`, each);
    }
    const result = await runCommand('keytool', args, { env, timeoutMs: 60_000 });
    if (result.spawnError) {
      throw new RxKafkaError(
        'RXK_BROKER_SETUP',
        "cannot make the secured broker's certificates: keytool (part of the JDK) was not found on PATH. " +
          'Install a JDK 17+ with its bin/ on PATH, or start the broker without security.',
        { cause: result.spawnError },
      );
    }
    if (result.code !== 0) {
      throw new RxKafkaError(
        'RXK_BROKER_SETUP',
        `keytool failed to ${step} (exit ${result.code}):\n${tail(result.stdout + result.stderr, 10)}`,
      );
    }
  };
  const ca = { keystore: caStore, storetype: 'PKCS12', 'storepass:env': 'RXKAFKA_CA_PASS' };
  const broker = { keystore: keystorePath, storetype: 'PKCS12', 'storepass:env': 'RXKAFKA_KEYSTORE_PASS' };
  const truststore = {
    keystore: truststorePath,
    storetype: 'PKCS12',
    'storepass:env': 'RXKAFKA_TRUSTSTORE_PASS',
  };
  // EC P-256: keytool makes such a key in a fraction of the time of an RSA 2048 one.
  const key = { keyalg: 'EC', groupname: 'secp256r1', validity };

  // Each keytool run is a JVM start (a third of a second or more): the CA and the broker branches run side by side.
  await settleAll([
    (async () => {
      const dname = 'CN=rxkafka throwaway test CA';
      const ext = ['bc:c=ca:true', 'ku:c=keyCertSign,cRLSign'];
      await keytool('make the CA key pair', '-genkeypair', { alias: 'ca', ...key, dname, ext, ...ca });
      await keytool('export the CA certificate', '-exportcert', {
        rfc: true,
        alias: 'ca',
        file: caPemPath,
        ...ca,
      });
    })(),
    (async () => {
      const dname = 'CN=localhost';
      await keytool('make the broker key pair', '-genkeypair', { alias: 'broker', ...key, dname, ...broker });
      await keytool('write the broker certificate request', '-certreq', {
        alias: 'broker',
        file: csrPath,
        ...broker,
      });
    })(),
  ]);
  await keytool('sign the broker certificate', '-gencert', {
    rfc: true,
    alias: 'ca',
    infile: csrPath,
    outfile: signedPath,
    validity,
    ext: [`san=${san}`, 'ku:c=digitalSignature', 'eku=serverAuth,clientAuth'],
    ...ca,
  });
  await settleAll([
    (async () => {
      // The CA first, so that importing the signed reply builds the chain broker -> CA in the keystore.
      const trusted = { noprompt: true, alias: 'ca', file: caPemPath } as const;
      await keytool('add the CA to the broker keystore', '-importcert', { ...trusted, ...broker });
      const reply = { noprompt: true, alias: 'broker', file: signedPath } as const;
      await keytool('import the signed broker certificate', '-importcert', { ...reply, ...broker });
    })(),
    keytool('write the truststore', '-importcert', {
      noprompt: true,
      alias: 'ca',
      file: caPemPath,
      ...truststore,
    }),
  ]);
  for (const done of [caStore, csrPath, signedPath]) rmSync(done, { force: true });
  return {
    // keytool -rfc ends the base64 lines with CRLF; plain LF is what PEM readers and people expect.
    caPem: readFileSync(caPemPath, 'utf8').replace(/\r\n/g, '\n'),
    keystorePath,
    keystorePassword: env.RXKAFKA_KEYSTORE_PASS,
    truststorePath,
    truststorePassword: env.RXKAFKA_TRUSTSTORE_PASS,
  };
}

/**
 * Waits for every task, then throws the first failure: a failed branch must not leave the other keytool
 * JVM writing into a folder the caller is about to delete.
 */
async function settleAll(tasks: ReadonlyArray<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
