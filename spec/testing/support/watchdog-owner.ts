/**
 * A process that owns a BrokerWatchdog, for the spec that kills it: makes a temporary folder, has the watchdog
 * run `sleep 600` with its log in that folder, prints one JSON line, `{ "pid", "watchdogPid", "folder" }`, and
 * waits to be killed (the running program keeps it alive). It installs no signal handler.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerWatchdog } from '../../../lib/testing/broker-watchdog';

const folder = mkdtempSync(join(tmpdir(), 'rxkafka-watchdog-spec-'));
const watchdog = BrokerWatchdog.start(folder);
void watchdog
  .spawn('sleep', ['600'], { logFile: join(folder, 'sleep.log') })
  .pid.then((pid) => process.stdout.write(`${JSON.stringify({ pid, watchdogPid: watchdog.pid, folder })}\n`));
