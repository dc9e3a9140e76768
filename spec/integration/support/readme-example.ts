/**
 * The README's Usage example, read from README.md itself, so that what the package spec compiles and runs
 * is what a user copies: the README and the spec cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The marker the README puts before the block (an HTML comment: invisible on the rendered page). */
export const USAGE_EXAMPLE_MARKER = '<!-- usage-example:';

/** The README's text. */
export function readReadme(root: string): string {
  return readFileSync(join(root, 'README.md'), 'utf8');
}

/** The first ```ts block after the usage-example marker, without its fences. */
export function extractUsageExample(readme: string): string {
  const marker = readme.indexOf(USAGE_EXAMPLE_MARKER);
  if (marker < 0)
    throw new Error(`README.md has no "${USAGE_EXAMPLE_MARKER} ... -->" marker before its Usage example`);
  const block = /```ts\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  if (!block) throw new Error('README.md has no ```ts block after its usage-example marker');
  return `${block[1]}\n`;
}

/** The compiler options of the README's first ```json block that has `compilerOptions` (Installing it in your project). */
export function extractCompilerOptions(readme: string): Record<string, unknown> {
  for (const [, json] of readme.matchAll(/```json\n([\s\S]*?)\n```/g)) {
    if (!json.includes('"compilerOptions"')) continue;
    return (JSON.parse(json) as { compilerOptions: Record<string, unknown> }).compilerOptions;
  }
  throw new Error('README.md has no ```json block with "compilerOptions"');
}
