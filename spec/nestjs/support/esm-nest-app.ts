import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { nestjsFolderOf, type NestjsMajor } from '../../support/nestjs-major';

const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * A NestJS microservice written as an ES module, as a JavaScript user of an ESM-only NestJS writes it: it
 * imports NestJS and `rxkafka/nestjs` (rxkafka's CommonJS build), applies the decorators as the functions
 * they are, and serves TOPIC at BROKERS in GROUP on `RxKafkaStrategy`. Prints one line
 * `listening {"nestjs": <the @nestjs/microservices version it imported>}` once it listens.
 *
 * The handler answers `{ id, name, topic, kafkaContext }`, where `kafkaContext` says whether `@Ctx()` is an
 * instance of the `KafkaContext` this module imported (rxkafka builds it from the NestJS it requires: one
 * class only if both loaded one NestJS). It throws NestJS's `RpcException` with an object for id 9, with a
 * string for id 0, and a plain Error for id 13.
 */
export const ESM_NEST_APP_MJS = `import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, KafkaContext, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { silentLogger } from 'rxkafka';
import { RxKafkaStrategy } from 'rxkafka/nestjs';

const { BROKERS, TOPIC, GROUP } = process.env;
const NAMES = { 1: 'Ann', 2: 'Bo' };

class HeroesController {
  find(hero, context) {
    if (hero.id === 9) throw new RpcException({ code: 'HERO_NOT_FOUND', id: hero.id });
    if (hero.id === 0) throw new RpcException('no hero 0');
    if (hero.id === 13) throw new Error('unlucky');
    return { id: hero.id, name: NAMES[hero.id], topic: context.getTopic(), kafkaContext: context instanceof KafkaContext };
  }
}
MessagePattern(TOPIC)(HeroesController.prototype, 'find', Object.getOwnPropertyDescriptor(HeroesController.prototype, 'find'));
Payload()(HeroesController.prototype, 'find', 0);
Ctx()(HeroesController.prototype, 'find', 1);
Controller()(HeroesController);

class AppModule {}
Module({ controllers: [HeroesController] })(AppModule);

function nestjsVersion() {
  let dir = dirname(fileURLToPath(import.meta.resolve('@nestjs/microservices')));
  while (!dir.endsWith('microservices')) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

Logger.overrideLogger(false);
const strategy = new RxKafkaStrategy({
  client: { brokers: BROKERS.split(','), clientId: GROUP },
  consumer: { groupId: GROUP },
  postfixId: '',
  subscribe: { fromBeginning: true },
  logger: silentLogger,
});
const app = await NestFactory.createMicroservice(AppModule, { strategy, logger: false });
await app.listen();
process.stdout.write('listening ' + JSON.stringify({ nestjs: nestjsVersion() }) + '\\n');
`;

/**
 * Lays out a new ESM project in a temporary folder, with `node_modules` as npm would install it for a user:
 * rxkafka (its package.json and its build, dist/, copied), rxkafka's dependencies, and NestJS `major` from
 * its workspace, each linked. rxkafka is copied because Node resolves a link to its target, and this
 * repository's node_modules hold NestJS 11: rxkafka would load that one instead of the app's. Returns the
 * folder; the app is its `main.mjs`. Throws when dist/ is missing (`npm run build` makes it).
 */
export function createEsmNestApp(major: NestjsMajor): string {
  const folder = mkdtempSync(join(tmpdir(), `rxkafka-esm-nestjs-${major}-`));
  writeFileSync(
    join(folder, 'package.json'),
    JSON.stringify({ name: 'esm-nest-app', private: true, type: 'module' }, null, 2),
  );
  writeFileSync(join(folder, 'main.mjs'), ESM_NEST_APP_MJS);

  const modules = join(folder, 'node_modules');
  installRxkafka(modules);
  for (const name of ['common', 'core', 'microservices']) {
    linkPackage(modules, `@nestjs/${name}`, nestjsFolderOf(major));
  }
  return folder;
}

/**
 * Installs rxkafka into the folder `modules` as npm would for a user: its package.json and build copied, its
 * dependencies linked. Throws when dist/ is missing (`npm run build` makes it).
 */
export function installRxkafka(modules: string): void {
  if (!existsSync(join(ROOT, 'dist', 'nestjs', 'index.js'))) {
    throw new Error(`rxkafka's build is missing (${join(ROOT, 'dist')}): run npm run build`);
  }
  const rxkafka = join(modules, 'rxkafka');
  mkdirSync(rxkafka, { recursive: true });
  const manifest = readFileSync(join(ROOT, 'package.json'), 'utf8');
  writeFileSync(join(rxkafka, 'package.json'), manifest);
  cpSync(join(ROOT, 'dist'), join(rxkafka, 'dist'), { recursive: true });
  const dependencies = Object.keys((JSON.parse(manifest) as { dependencies: object }).dependencies);
  for (const name of dependencies) linkPackage(modules, name, ROOT);
}

/** Links package `name` into the folder `modules`, as Node finds it from `from`. */
export function linkPackage(modules: string, name: string, from: string): void {
  const link = join(modules, name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(findPackageDir(name, from), link, 'dir');
}

/** The folder of package `name` as Node finds it from `from`: the nearest `node_modules/<name>` above. */
function findPackageDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed above ${from} (run npm ci)`);
  }
}
