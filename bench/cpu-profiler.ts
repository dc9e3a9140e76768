/**
 * A V8 CPU profile of a worker's measured window only (`--cpu-prof` would also record start-up: module
 * loading and ts-node's transpiling, which dwarf a short window). Same-thread inspector calls are
 * synchronous, so the profile starts and stops exactly where called.
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A running profile; `stop()` writes it to its file (readable by Chrome DevTools and summarize-cpu-profile.ts). */
export interface RunningCpuProfile {
  stop(): void;
}

/** Starts profiling into `path`; with no path, returns a profile whose stop() does nothing. */
export function startCpuProfile(path: string | undefined): RunningCpuProfile {
  if (!path) return { stop: () => undefined };
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      session.post('Profiler.stop', (error, result) => {
        if (error) console.error(`[bench worker] CPU profile failed: ${error.message}`);
        else {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, JSON.stringify(result.profile));
        }
        session.disconnect();
      });
    },
  };
}
