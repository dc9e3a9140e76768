/**
 * `npx ts-node bench/summarize-cpu-profile.ts <file.cpuprofile> [top]`: where a worker's CPU time went,
 * from the V8 profiles `npm run bench -- --cpu-prof DIR` writes. Prints the top functions by self time
 * and the self time per package (kafkajs, rxjs, xstate, rxkafka's lib/, node internals, GC).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time in ms per function and per package, largest first. */
export function summarizeCpuProfile(profile: CpuProfile): {
  totalMs: number;
  functions: Array<{ name: string; selfMs: number }>;
  packages: Array<{ name: string; selfMs: number }>;
} {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    totalMs += ms;
    const name = `${frame.functionName || '(anonymous)'} ${toShortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const pkg = toPackage(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  });
  const sorted = (map: Map<string, number>) =>
    [...map].map(([name, selfMs]) => ({ name, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs, functions: sorted(byFunction), packages: sorted(byPackage) };
}

function toShortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  const inProject = url.search(/\/(lib|bench)\//);
  return inProject >= 0 ? url.slice(inProject + 1) : url.replace(/^file:\/\//, '');
}

function toPackage(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  const inProject = url.match(/\/(lib|bench)\//);
  return inProject ? `rxkafka ${inProject[1]}/` : url;
}

function main(): void {
  const [file, top = '10'] = process.argv.slice(2);
  if (!file) throw new Error('usage: ts-node bench/summarize-cpu-profile.ts <file.cpuprofile> [top]');
  const summary = summarizeCpuProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const share = (ms: number) =>
    `${ms.toFixed(0).padStart(7)} ms ${((ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${summary.totalMs.toFixed(0)} ms sampled\n\ntop ${top} functions by self time:`);
  for (const { name, selfMs } of summary.functions.slice(0, Number(top)))
    console.log(`${share(selfMs)}  ${name}`);
  console.log('\nself time by package:');
  for (const { name, selfMs } of summary.packages.slice(0, 15)) console.log(`${share(selfMs)}  ${name}`);
}

if (require.main === module) main();
