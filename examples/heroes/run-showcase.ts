/**
 * The showcase behind `npm start`: the heroes service, a client sending a steady trickle of requests and
 * events, and the inspector. A second server member joins the group and later leaves it, again and again,
 * so the page shows real rebalances and partition actors moving between members. stop() drains
 * everything and returns the drain reports.
 */
import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import {
  createMicroservice,
  KafkaClient,
  registerControllers,
  type DrainReport,
  type Logger,
} from '../../lib';
import { startInspector, type Inspector } from '../../lib/inspector';
import { createTopics } from './run-heroes';
import { HeroesController } from './heroes.controller';

export interface ShowcaseOptions {
  readonly brokers: readonly string[];
  readonly logger: Logger;
  readonly print: (line: string) => void;
  /** How long the second member stays in the group, and out of it. @defaultValue 20_000 */
  readonly cycleMs?: number;
  /** The inspector's port. @defaultValue 0 (a free one) */
  readonly port?: number;
}

export interface Showcase {
  readonly inspector: Inspector;
  /** Stops the trickle and the member cycle, drains the client and both servers, closes the inspector. */
  stop(): Promise<{ primary: DrainReport; secondary: DrainReport; pendingRequestsFailed: number }>;
}

export async function startShowcase(options: ShowcaseOptions): Promise<Showcase> {
  const { brokers, logger, print } = options;
  const cycleMs = options.cycleMs ?? 20_000;
  await createTopics(brokers);
  const createMember = (name: string) => {
    const container = new Container();
    registerControllers(container, [HeroesController]);
    return createMicroservice(container, {
      client: { brokers: [...brokers], clientId: `heroes-${name}` },
      consumer: { groupId: 'heroes' },
      logger,
    });
  };
  const primary = createMember('a');
  const secondary = createMember('b');
  await primary.listen();
  const client = new KafkaClient({
    client: { brokers: [...brokers], clientId: 'heroes-showcase' },
    requestTimeoutMs: 10_000,
    logger,
  });
  client.subscribeToResponseOf('hero.kill.dragon');
  await client.connect();
  const inspector = await startInspector({
    port: options.port ?? 0,
    title: 'rxkafka inspector · heroes',
    sources: [
      { name: 'server-a', source: primary },
      { name: 'server-b', source: secondary },
      { name: 'client', source: client },
    ],
  });
  print(`inspector: ${inspector.url}`);

  let stopping = false;
  let sent = 0;
  let failed = 0;
  // The trickle's requests still waiting for a reply: stop() lets them finish before the client closes, so a
  // Ctrl-C between a send and its reply fails nothing.
  const inFlight = new Set<Promise<unknown>>();
  const trickle = setInterval(() => {
    if (stopping) return;
    const heroId = (sent % 8) + 1;
    sent += 1;
    const reply = firstValueFrom(client.send('hero.kill.dragon', { heroId, dragonId: sent })).catch(
      () => (failed += 1),
    );
    inFlight.add(reply);
    void reply.finally(() => inFlight.delete(reply));
    client.emit('hero.killed.dragon', { heroId, dragonId: sent }).subscribe({ error: () => (failed += 1) });
  }, 250);
  let memberIn = false;
  let cycling = Promise.resolve();
  const cycle = setInterval(() => {
    if (stopping) return;
    cycling = cycling.then(async () => {
      if (stopping) return;
      if (memberIn) {
        const report = await secondary.close();
        print(
          `server-b left the group (handled ${report.recordsFinished} records so far); the group rebalances`,
        );
      } else {
        await secondary.listen();
        print(`server-b joined the group and holds ${JSON.stringify(secondary.connection.assignment)}`);
      }
      memberIn = !memberIn;
    });
  }, cycleMs);
  const status = setInterval(
    () =>
      print(
        `${sent} requests sent, ${failed} failed; server-a holds ${JSON.stringify(primary.connection.assignment)}`,
      ),
    Math.max(cycleMs, 5_000),
  );
  for (const timer of [trickle, cycle, status]) timer.unref();

  return {
    inspector,
    stop: async () => {
      stopping = true;
      [trickle, cycle, status].forEach(clearInterval);
      await cycling;
      // Each request settles within the client's request timeout, replied to or timed out.
      await Promise.all(inFlight);
      const { pendingRequestsFailed } = await client.close();
      const secondaryReport = await secondary.close();
      const primaryReport = await primary.close();
      await inspector.close();
      return { primary: primaryReport, secondary: secondaryReport, pendingRequestsFailed };
    },
  };
}
