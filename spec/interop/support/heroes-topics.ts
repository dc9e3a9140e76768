import { randomInt } from 'node:crypto';
import { createTopicsReady } from './create-topics-ready';

/** The request patterns both heroes controllers answer (each is `<prefix>.<name>`). */
export const HERO_REQUESTS = [
  'sum',
  'echo',
  'stream',
  'late-end',
  'binary',
  'instance',
  'void',
  'empty',
  'fail.string',
  'fail.object',
  'fail.unknown',
  'fail.midstream',
  'keyed',
  'routed',
] as const;

export type HeroRequest = (typeof HERO_REQUESTS)[number];

/** The topics of one heroes controller instance; unique per spec run. */
export interface HeroesTopics {
  readonly prefix: string;
  /** `<prefix>.<name>` for each request pattern. */
  readonly request: Readonly<Record<HeroRequest, string>>;
  /**
   * A request topic whose name reads as a JSON number with a trailing zero (`1.<digits>0`). NestJS's router
   * JSON-parses topic names (`Server.getRouteFromPattern`), turns it into `1.<digits>`, and finds no handler.
   */
  readonly numeric: string;
  /** An `@EventPattern` topic (two handlers). */
  readonly event: string;
  /** An `@EventPattern` topic for batches. */
  readonly batch: string;
}

/** Names the topics of a heroes controller for `prefix`. */
export function nameHeroesTopics(prefix: string): HeroesTopics {
  return {
    prefix,
    request: Object.fromEntries(HERO_REQUESTS.map((name) => [name, `${prefix}.${name}`])) as Record<
      HeroRequest,
      string
    >,
    numeric: `1.${randomInt(10_000_000, 99_999_999)}0`,
    event: `${prefix}.event`,
    batch: `${prefix}.batch`,
  };
}

/** Every request pattern of `topics` (the patterns a client subscribes to the replies of). */
export function listRequestPatterns(topics: HeroesTopics): string[] {
  return [...Object.values(topics.request), topics.numeric, topics.event];
}

/** Creates the request, reply and event topics of `topics` on the test broker. */
export async function createHeroesTopics(topics: HeroesTopics): Promise<void> {
  await createTopicsReady([
    ...listRequestPatterns(topics).flatMap((pattern) => [{ topic: pattern }, { topic: `${pattern}.reply` }]),
    { topic: topics.batch },
  ]);
}
