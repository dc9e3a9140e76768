import { expect } from 'chai';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand, type CommandResult } from '../../lib/testing/run-command';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { IMPORTS_MJS, REQUEST_REPLY_CJS, TYPES_TS, WRONG_TYPES_TS } from './support/package-consumer';
import {
  README_CONTEXT,
  extractTypeScriptBlocks,
  namesInDeclarations,
  toModule,
  type ExportedNames,
} from './support/readme-blocks';
import { extractCompilerOptions, extractUsageExample, readReadme } from './support/readme-example';

const ROOT = resolve(__dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Fails with the command's output unless it exited 0. */
function expectSuccess(result: CommandResult, what: string): CommandResult {
  if (result.code !== 0) {
    throw new Error(
      `${what} exited ${result.code}${result.spawnError ? ` (${result.spawnError.message})` : ''}:\n` +
        `${result.stdout}\n${result.stderr}`.trim().slice(-4000),
    );
  }
  return result;
}

/** The last line a program printed, as JSON. */
function readLastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe('the npm package (npm pack, installed into a new project)', function () {
  // npm pack builds dist/ (the prepare script) and npm install may ask the registry for dependencies.
  this.timeout(300_000);
  let folder: string;
  let project: string;
  let tarball: string;
  let packedFiles: string[];

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'rxkafka-package-'));
    project = join(folder, 'app');
    const packed = expectSuccess(
      await runCommand('npm', ['pack', '--json', '--pack-destination', folder], { cwd: ROOT }),
      'npm pack',
    );
    // npm prints the prepare script's output before the JSON.
    const manifest = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(folder, manifest[0].filename);
    packedFiles = manifest[0].files.map((file) => file.path);

    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'rxkafka-user', version: '1.0.0', private: true }, null, 2),
    );
    expectSuccess(
      await runCommand(
        'npm',
        // What the README's Installing section says to install.
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          '--no-save',
          tarball,
          'inversify@^8.2.3',
          'rxjs@^7.8.2',
        ],
        { cwd: project, timeoutMs: 240_000 },
      ),
      'npm install of the tarball',
    );
    writeFileSync(join(project, 'request-reply.cjs'), REQUEST_REPLY_CJS);
    writeFileSync(join(project, 'imports.mjs'), IMPORTS_MJS);
  });

  after(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('holds the compiled JavaScript and its types, and no TypeScript sources or specs', () => {
    expect(packedFiles).to.include.members([
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/testing/index.js',
      'dist/testing/index.d.ts',
      'dist/inspector/index.js',
      'dist/inspector/index.d.ts',
      'dist/inspector/cli.js',
      'dist/nestjs/index.js',
      'dist/nestjs/index.d.ts',
    ]);
    const sources = packedFiles.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'));
    expect(sources).to.deep.equal([]);
    expect(packedFiles.filter((file) => file.startsWith('spec/') || file.startsWith('lib/'))).to.deep.equal(
      [],
    );
  });

  it('carries the MIT license that package.json names', () => {
    const license = readFileSync(join(project, 'node_modules', 'rxkafka', 'LICENSE'), 'utf8');
    expect(license).to.match(/^MIT License\n\nCopyright \(c\) 2026 rxkafka contributors\n/);
    expect(license).to.include('THE SOFTWARE IS PROVIDED "AS IS"');
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules', 'rxkafka', 'package.json'), 'utf8'),
    ) as { license?: string };
    expect(manifest.license).to.equal('MIT');
  });

  it('installs its runtime dependencies and no development ones', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    expect(installed).to.include.members([
      'rxkafka',
      'kafkajs',
      'rxjs',
      'xstate',
      'inversify',
      'reflect-metadata',
      'prom-client',
    ]);
    expect(readdirSync(join(project, 'node_modules', '@viz-js'))).to.include('viz');
    expect(installed).not.to.include.members(['typescript', 'puppeteer-core']);
    expect(installed).not.to.include('@sparticuz');
    expect(installed).not.to.include('ts-node');
    expect(installed).not.to.include('mocha');
    // NestJS is an optional peer dependency: only rxkafka/nestjs needs it.
    expect(installed).not.to.include('@nestjs');
  });

  it('resolves rxkafka/nestjs, which names the missing NestJS peer dependency when it is not installed', async () => {
    const result = await runCommand('node', ['-e', "require('rxkafka/nestjs')"], { cwd: project });
    expect(result.code).not.to.equal(0);
    expect(result.stderr).to.include("Cannot find module '@nestjs/microservices'");
  });

  it('runs a request/reply round trip and an event from plain CommonJS against the test broker', async () => {
    const { brokers } = await useTestBroker();
    const sumTopic = uniqueName('package.sum');
    const eventTopic = uniqueName('package.counted');
    await createTopics([{ topic: sumTopic }, { topic: `${sumTopic}.reply` }, { topic: eventTopic }]);
    const result = expectSuccess(
      await runCommand('node', ['request-reply.cjs'], {
        cwd: project,
        timeoutMs: 120_000,
        env: {
          ...process.env,
          KAFKA_BROKERS: brokers.join(','),
          SUM_TOPIC: sumTopic,
          EVENT_TOPIC: eventTopic,
        },
      }),
      'node request-reply.cjs',
    );
    expect(readLastJsonLine(result.stdout)).to.deep.equal({
      sum: { total: 10 },
      events: [{ n: 7 }],
      recordsFinished: 2,
      inspectorChart: true,
      inspectorMetrics: true,
      errorIsTyped: true,
    });
  });

  it('gives ESM named imports of both entry points', async () => {
    const result = expectSuccess(
      await runCommand('node', ['imports.mjs'], { cwd: project }),
      'node imports.mjs',
    );
    expect(readLastJsonLine(result.stdout)).to.deep.equal({
      KafkaClient: 'function',
      KafkaServer: 'function',
      createMicroservice: 'function',
      MessagePattern: 'function',
      RxKafkaError: 'function',
      timeoutCode: 'string',
      startLocalKafka: 'function',
      waitForKafka: 'function',
      startInspector: 'function',
      checkReadiness: 'function',
      defaultExport: 'function',
    });
  });

  it('installs the rxkafka command, which says how to use it', async () => {
    const result = await runCommand('node', [join('node_modules', '.bin', 'rxkafka')], { cwd: project });
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('usage: rxkafka inspect <recording.jsonl>');
  });

  context("with the README's Usage example, copied as it is into a TypeScript project", () => {
    const readme = readReadme(ROOT);
    const compilerOptions = extractCompilerOptions(readme);

    /**
     * A folder of the installed project with its own package.json `type`, the README's compiler options and
     * the README's Usage example, its topic renamed so that the spec owns its topics on the shared broker.
     */
    function writeExampleProject(folderName: string, type: 'commonjs' | 'module', topic: string): string {
      const dir = join(project, folderName);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type }, null, 2));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              ...compilerOptions,
              strict: true,
              outDir: 'out',
              rootDir: '.',
              // @types/node comes from this repository (the new project installs only the README's packages).
              types: ['node'],
              typeRoots: [join(ROOT, 'node_modules', '@types')],
            },
            files: ['usage.ts'],
          },
          null,
          2,
        ),
      );
      writeFileSync(join(dir, 'usage.ts'), extractUsageExample(readme).replaceAll('hero.kill.dragon', topic));
      return dir;
    }

    for (const { type, emitted } of [
      { type: 'commonjs', emitted: /require\("rxkafka"\)/ },
      { type: 'module', emitted: /from 'rxkafka'/ },
    ] as const) {
      it(`compiles with "type": "${type}" and runs: topics created, one round trip, a clean exit`, async function () {
        this.timeout(240_000);
        const { brokers } = await useTestBroker();
        const topic = uniqueName('package.hero');
        const dir = writeExampleProject(`usage-${type}`, type, topic);
        expectSuccess(
          await runCommand('node', [TSC, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 }),
          `tsc (${type})`,
        );
        const compiled = readFileSync(join(dir, 'out', 'usage.js'), 'utf8');
        expect(compiled).to.match(emitted);
        const result = expectSuccess(
          await runCommand('node', [join('out', 'usage.js')], {
            cwd: dir,
            timeoutMs: 120_000,
            env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
          }),
          `node out/usage.js (${type})`,
        );
        expect(result.stdout).to.include("[ { id: 1, name: 'Mythical Sword' } ]");
        const listed = await withAdmin(async (admin) => admin.listTopics());
        expect(listed).to.include.members([topic, `${topic}.reply`]);
      });
    }

    it('fails under "module": "commonjs" (node10 resolution) with the error the README quotes', async () => {
      const dir = writeExampleProject('usage-node10', 'commonjs', 'hero.kill.dragon');
      const result = await runCommand(
        'node',
        [TSC, '-p', 'tsconfig.json', '--module', 'commonjs', '--moduleResolution', 'node10', '--noEmit'],
        { cwd: dir, timeoutMs: 120_000 },
      );
      expect(result.code).not.to.equal(0);
      const flat = readme.replace(/\s+/g, ' ');
      const quoted = "Cannot find module 'inversify' or its corresponding type declarations";
      const advice = "Consider updating to 'node16', 'nodenext', or 'bundler'";
      expect(flat).to.include(quoted).and.to.include(advice);
      expect(result.stdout).to.match(/usage\.ts\(\d+,\d+\): error TS2307: Cannot find module 'inversify' or/);
      expect(result.stdout).to.include(quoted).and.to.include(advice);
    });
  });

  context('with every ```ts block of the README, each a fragment of a program', () => {
    /** The package a bare import names (`@scope/name` or `name`), or undefined for a relative or node: one. */
    function packageOf(specifier: string): string | undefined {
      if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
      return specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    }

    /** The declaration file a package of this repository publishes its types through. */
    function typesOf(name: string): string {
      const folder = join(ROOT, 'node_modules', name);
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
        types?: string;
        typings?: string;
      };
      return join(folder, manifest.types ?? manifest.typings ?? 'index.d.ts');
    }

    it("type-checks each one against the installed package, strict, with the README's compiler options", async function () {
      this.timeout(240_000);
      const readme = readReadme(ROOT);
      const installed = join(project, 'node_modules', 'rxkafka', 'dist');
      const entry = (folder: string) =>
        namesInDeclarations(readFileSync(join(installed, folder, 'index.d.ts'), 'utf8'));
      const exported: ExportedNames = [
        { module: 'rxkafka', names: entry('.') },
        { module: 'rxkafka/inspector', names: entry('inspector') },
        { module: 'rxkafka/testing', names: entry('testing') },
        { module: 'rxkafka/nestjs', names: entry('nestjs') },
        { module: '@nestjs/core', names: ['NestFactory'] },
        { module: '@nestjs/microservices', names: ['ClientsModule'] },
        { module: 'rxjs', names: ['firstValueFrom', 'lastValueFrom'] },
      ];
      const dir = join(project, 'readme-blocks');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2));
      const files: string[] = [];
      const modules: string[] = [];
      for (const block of extractTypeScriptBlocks(readme)) {
        const file = `readme-line-${block.line}.ts`;
        const source = toModule(block, exported);
        writeFileSync(join(dir, file), source);
        files.push(file);
        modules.push(source);
      }
      expect(files.length, 'the README has ```ts blocks').to.be.greaterThan(10);
      writeFileSync(join(dir, 'readme-context.d.ts'), README_CONTEXT);
      // What the blocks import beyond the installed project (NestJS, pino, OpenTelemetry) is this
      // repository's copy: a user of that block installs it next to rxkafka.
      const notInstalled = new Set(
        modules
          .flatMap((source) =>
            [...source.matchAll(/from '([^']+)'/g)].map(([, specifier]) => packageOf(specifier)),
          )
          .concat(['@nestjs/common', '@nestjs/core', '@nestjs/microservices'])
          .filter((name): name is string => name !== undefined)
          .filter((name) => !existsSync(join(project, 'node_modules', name))),
      );
      const paths = Object.fromEntries([...notInstalled].map((name) => [name, [typesOf(name)]]));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              ...extractCompilerOptions(readme),
              strict: true,
              noEmit: true,
              target: 'ES2022',
              paths,
              types: ['node', 'mocha'],
              typeRoots: [join(ROOT, 'node_modules', '@types')],
            },
            files: [...files, 'readme-context.d.ts'],
          },
          null,
          2,
        ),
      );
      const result = await runCommand('node', [TSC, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 180_000 });
      // Each error names its file, readme-line-<n>.ts: the README line its block starts on.
      expect(result.stdout + result.stderr).to.equal('');
      expect(result.code).to.equal(0);
    });
  });

  for (const moduleResolution of ['nodenext', 'bundler'] as const) {
    context(`with TypeScript's ${moduleResolution} module resolution`, () => {
      /** Type-checks `source` in the project against the installed package only. */
      async function typeCheck(source: string): Promise<CommandResult> {
        const file = `check-${moduleResolution}.ts`;
        writeFileSync(join(project, file), source);
        return runCommand(
          'node',
          [
            TSC,
            '--noEmit',
            '--strict',
            '--skipLibCheck',
            '--target',
            'ES2022',
            '--module',
            moduleResolution === 'nodenext' ? 'nodenext' : 'esnext',
            '--moduleResolution',
            moduleResolution,
            '--types',
            'node',
            '--typeRoots',
            join(ROOT, 'node_modules', '@types'),
            file,
          ],
          { cwd: project, timeoutMs: 120_000 },
        );
      }

      it('resolves the types of rxkafka, rxkafka/testing and rxkafka/inspector', async () => {
        expectSuccess(await typeCheck(TYPES_TS), 'tsc');
      });

      it('refuses a wrongly typed option, so the types are real', async () => {
        const result = await typeCheck(WRONG_TYPES_TS);
        expect(result.code).not.to.equal(0);
        expect(result.stdout).to.match(/requestTimeoutMs|not assignable to type 'number'/);
      });
    });
  }
});
