/**
 * Which NestJS the specs load. The root's devDependencies hold NestJS 11; `RXKAFKA_NESTJS_MAJOR=10` or `12`
 * sends every `@nestjs/*` require of the process (the specs', lib/nestjs/'s and NestJS's own) to the copy
 * installed in the npm workspace `spec/peers/nestjs-<major>/`, so one process loads one NestJS, as in an
 * application. Registered in .mocharc.json, and by specs that start child processes on NestJS.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** The NestJS majors the specs run against: 11 from the root, the others from their workspaces. */
export const NESTJS_MAJORS = ['10', '11', '12'] as const;
export type NestjsMajor = (typeof NESTJS_MAJORS)[number];

const ROOT_MAJOR: NestjsMajor = '11';
const PEERS_DIR = resolve(__dirname, '..', 'peers');

/** The major `RXKAFKA_NESTJS_MAJOR` names, 11 when unset; throws for any other value. */
export function resolveNestjsMajor(value = process.env.RXKAFKA_NESTJS_MAJOR): NestjsMajor {
  if (value === undefined || value === '') return ROOT_MAJOR;
  const major = NESTJS_MAJORS.find((candidate) => candidate === value);
  if (!major) {
    throw new Error(
      `RXKAFKA_NESTJS_MAJOR must be one of ${NESTJS_MAJORS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return major;
}

/** The folder whose node_modules hold `major`'s NestJS: a workspace under spec/peers/, or the root. */
export function nestjsFolderOf(major: NestjsMajor): string {
  return major === ROOT_MAJOR ? resolve(PEERS_DIR, '..', '..') : join(PEERS_DIR, `nestjs-${major}`);
}

/**
 * The version of `@nestjs/<name>` installed for `major`, read from its package.json (NestJS 12 exports no
 * `package.json` subpath, so it is found next to the package's entry point).
 */
export function readNestjsVersion(major: NestjsMajor, name = 'microservices'): string {
  const entry = require.resolve(`@nestjs/${name}`, { paths: [nestjsFolderOf(major)] });
  let dir = dirname(entry);
  while (!dir.endsWith(join('@nestjs', name)) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: object) => string;

function redirectNestjsTo(folder: string): void {
  const loader = Module as unknown as { _resolveFilename: ResolveFilename };
  const resolveFilename = loader._resolveFilename;
  loader._resolveFilename = function (request, parent, isMain, options) {
    if (!request.startsWith('@nestjs/')) return resolveFilename.call(this, request, parent, isMain, options);
    return resolveFilename.call(this, request, parent, isMain, { paths: [folder] });
  };
}

/** The NestJS major of this process. */
export const NESTJS_MAJOR = resolveNestjsMajor();

const major = NESTJS_MAJOR;
if (major !== ROOT_MAJOR) {
  let version: string;
  try {
    version = readNestjsVersion(major);
  } catch (error) {
    throw new Error(
      `RXKAFKA_NESTJS_MAJOR=${major}: NestJS ${major} is not installed in ${nestjsFolderOf(major)} (run npm ci)`,
      { cause: error },
    );
  }
  if (!version.startsWith(`${major}.`)) {
    throw new Error(
      `RXKAFKA_NESTJS_MAJOR=${major}, but ${nestjsFolderOf(major)} holds @nestjs/microservices ${version}`,
    );
  }
  redirectNestjsTo(nestjsFolderOf(major));
}
