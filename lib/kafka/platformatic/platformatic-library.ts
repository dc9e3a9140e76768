/**
 * The one place rxkafka loads @platformatic/kafka's code. The package is an optional peer dependency and an
 * ES module: Node 20.19+ loads it from rxkafka's CommonJS build with `require()` (it has no top-level
 * await), and only when an application selects `driver: 'platformatic'`, so nobody else pays for it or
 * needs it installed.
 */
import type * as PlatformaticModule from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import { RxKafkaError } from '../../errors';

export type PlatformaticKafka = typeof PlatformaticModule;

/** The package name and the version this adapter is written and tested against. */
export const PLATFORMATIC_PACKAGE = '@platformatic/kafka';
export const PLATFORMATIC_VERSION = '1.35.0';

const INSTALL_COMMAND = `npm install ${PLATFORMATIC_PACKAGE}@${PLATFORMATIC_VERSION}`;

let loaded: PlatformaticKafka | undefined;

/**
 * @platformatic/kafka's exports, loaded once.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` when the package is missing, or this Node cannot `require()` an
 * ES module (below 20.19), with the command that fixes it.
 */
export function loadPlatformatic(load: (id: string) => unknown = require): PlatformaticKafka {
  if (loaded && load === require) return loaded;
  let library: PlatformaticKafka;
  try {
    library = load(PLATFORMATIC_PACKAGE) as PlatformaticKafka;
  } catch (error) {
    throw toLoadFailure(error);
  }
  if (load === require) loaded = library;
  return library;
}

/** Why the package did not load, as the option error an application can act on. */
export function toLoadFailure(error: unknown): RxKafkaError {
  const code = (error as { code?: unknown } | null)?.code;
  const message =
    code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
      ? `option driver: 'platformatic' needs the package ${PLATFORMATIC_PACKAGE}, which is not installed: ` +
        `run \`${INSTALL_COMMAND}\`, or leave driver out for kafkajs`
      : code === 'ERR_REQUIRE_ESM'
        ? `option driver: 'platformatic' needs Node.js 20.19 or later (${PLATFORMATIC_PACKAGE} is an ES module, ` +
          `which this Node ${process.version} cannot require()): upgrade Node, or leave driver out for kafkajs`
        : `option driver: 'platformatic': ${PLATFORMATIC_PACKAGE} failed to load ` +
          `(${error instanceof Error ? error.message : String(error)}): reinstall it with \`${INSTALL_COMMAND}\``;
  return new RxKafkaError('RXK_INVALID_OPTIONS', message, { path: 'driver', cause: error });
}
