/**
 * Every ```ts block of the README, made into a module a new project can type-check against the installed
 * package: a block is a fragment of a program, so the names it uses without importing them (the packages'
 * exports) are imported for it, and the values it takes from its surroundings (`server`, `brokers`, …) are
 * declared with their real types in `README_CONTEXT`, so a block that misuses them still fails.
 */

/** One ```ts block: the README line its code starts on, and the code. */
export interface ReadmeBlock {
  readonly line: number;
  readonly code: string;
}

/** The README's ```ts blocks, in order. */
export function extractTypeScriptBlocks(readme: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  for (const match of readme.matchAll(/^```ts\n([\s\S]*?)\n```$/gm)) {
    const line = readme.slice(0, match.index).split('\n').length + 1;
    blocks.push({ line, code: match[1] });
  }
  return blocks;
}

/** Where a block's unimported names come from: each module with the names it exports. */
export type ExportedNames = ReadonlyArray<{ readonly module: string; readonly names: readonly string[] }>;

/** The names an entry point's `index.d.ts` exports, values and types (`export { A, type B } from …`). */
export function namesInDeclarations(declarations: string): string[] {
  const names: string[] = [];
  for (const [, list] of declarations.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
    for (const part of list.split(',')) {
      const name = part
        .replace(/\btype\b/, '')
        .split(/\s+as\s+/)
        .slice(-1)[0]
        .trim();
      if (name) names.push(name);
    }
  for (const [, name] of declarations.matchAll(/export\s+declare\s+(?:const|function|class)\s+(\w+)/g))
    names.push(name);
  return names;
}

/** The names a block imports or declares itself. */
function ownNames(code: string): Set<string> {
  const own = new Set<string>();
  for (const [, list] of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from/g))
    for (const part of list.split(','))
      for (const name of part
        .replace(/\btype\b/, '')
        .split(/\s+as\s+/)
        .slice(-1))
        if (name.trim()) own.add(name.trim());
  for (const [, name] of code.matchAll(/import\s+(\w+)\s+from/g)) own.add(name);
  for (const [, name] of code.matchAll(/\b(?:const|let|class|function|interface|type)\s+(\w+)/g))
    own.add(name);
  return own;
}

/** The block as a module: the imports it leaves out, then its code as it is. */
export function toModule(block: ReadmeBlock, exported: ExportedNames): string {
  const own = ownNames(block.code);
  const taken = new Set<string>();
  const imports: string[] = [];
  for (const { module, names } of exported) {
    const used = names.filter(
      (name) => !own.has(name) && !taken.has(name) && new RegExp(`\\b${name}\\b`).test(block.code),
    );
    used.forEach((name) => taken.add(name));
    if (used.length > 0) imports.push(`import { ${used.join(', ')} } from '${module}';`);
  }
  return [`// README.md line ${block.line}`, ...imports, block.code, 'export {};', ''].join('\n');
}

/**
 * What the README's fragments take from their surroundings, declared once for all of them (a script, so
 * these are globals that a block's own declarations shadow).
 */
export const README_CONTEXT = `
declare const brokers: string[];
declare const container: import('inversify').Container;
declare const server: import('rxkafka').KafkaServer;
declare const client: import('rxkafka').KafkaClient;
declare const producer: import('rxkafka').StreamProducer;
declare const logger: import('rxkafka').Logger;
declare const data: { heroId: number; dragonId: number };
declare const heroes: import('rxkafka/nestjs').RxKafkaClientProxy;
declare const key: string;
declare const value: string;
declare const bunyan: { createLogger(options: { name: string }): import('rxkafka').FieldsFirstLogger };
declare class AppModule {}
interface Order { id: string; total: number }
interface Payment { id: string; amount: number }
declare function bill(order: Order): Promise<void>;
declare function reserveStock(order: Order): Promise<void>;
declare class ValidationError extends Error {}
declare function toInvoice(payment: Payment): { paymentId: string; total: number };
declare function add(state: Record<string, number>, deposit: unknown): Record<string, number>;
declare function log(...values: unknown[]): void;
declare function handle(value: unknown): void;
`;
