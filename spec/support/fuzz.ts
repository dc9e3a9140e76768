/**
 * Settings shared by the property-based (fuzz) specs, `spec/**\/*.fuzz.spec.ts`, which use fast-check.
 *
 * Reproducible by default: every run uses the same seed, so a failure seen once is seen again. Set
 * `FUZZ_SEED` to an integer to explore other inputs (or to replay a failure: fast-check prints the seed and
 * the shrink path of a failing property in its message), and `FUZZ_RUNS_FACTOR` to run more (or fewer) cases
 * than each property's default, e.g. `FUZZ_SEED=42 FUZZ_RUNS_FACTOR=10 npx mocha 'spec/**\/*.fuzz.spec.ts'`.
 */
import type { Parameters } from 'fast-check';

const DEFAULT_SEED = 20_261_204;

/** The seed of this run: `FUZZ_SEED`, or the fixed default. */
export const FUZZ_SEED = readInteger('FUZZ_SEED') ?? DEFAULT_SEED;

const RUNS_FACTOR = readNumber('FUZZ_RUNS_FACTOR') ?? 1;

/** fast-check parameters for a property of `numRuns` cases (times `FUZZ_RUNS_FACTOR`), seeded with `FUZZ_SEED`. */
export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * RUNS_FACTOR)) };
}

function readInteger(name: string): number | undefined {
  const value = readNumber(name);
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${process.env[name]}`);
  return value;
}

function readNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${text}`);
  return value;
}
