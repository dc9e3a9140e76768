/**
 * The check a read on @platformatic/kafka makes before it starts, group member and group-less reader
 * alike: every topic it reads exists, else RXK_TOPIC_NOT_FOUND naming the missing ones.
 */
import { findMissingTopics, toUnknownTopicFailure } from '../topic-not-found';
import type { ConnectSteps } from './connect-steps';
import { toUnknownTopicRefusal } from './kafka-refusal';
import type { PlatformaticKafka } from './platformatic-library';
import type { PlatformaticBaseOptions, PlatformaticConsumerOptions } from './platformatic-options';

/** What requireTopics() reads of a consumer's or reader's setup. */
export interface TopicCheckSetup {
  readonly library: PlatformaticKafka;
  readonly base: PlatformaticBaseOptions;
  readonly options: Pick<PlatformaticConsumerOptions, 'autocreateTopics'>;
  readonly steps: ConnectSteps;
  /** The names of the cluster's topics (asked on a client of its own). */
  readonly listTopics: () => Promise<string[]>;
}

/** A @platformatic/kafka client that asks a topic's metadata. */
export interface TopicDescriber {
  metadata(options: { topics: string[] }): Promise<unknown>;
}

/**
 * Resolves when the cluster has every one of `topics`, else rejects with RXK_TOPIC_NOT_FOUND naming those it
 * lacks (or with RXK_NOT_AUTHORIZED for a topic the current client may not describe: the cluster's topic
 * list leaves such a topic out, so it looks missing). Asks nothing when the client may create them
 * (`allowAutoTopicCreation`).
 *
 * @platformatic/kafka's consume() does not fail on a topic the cluster lacks: it joins the group, retries
 * the topic's metadata, and the connect ends at the connect timeout as RXK_NOT_CONNECTED, naming nothing.
 * Asked first, the missing topics are named in RXK_TOPIC_NOT_FOUND within a second, as on kafkajs.
 */
export async function requireTopics(
  setup: TopicCheckSetup,
  currentNative: () => TopicDescriber | undefined,
  topics: readonly string[],
): Promise<void> {
  if (setup.options.autocreateTopics === true) return;
  const missing = await findMissingTopics(setup.listTopics, topics);
  if (missing.length === 0) return;
  // Taken after the listing's waits: a disconnect meanwhile leaves a consumer without a client to ask.
  const native = currentNative();
  if (native) {
    await setup.steps.refuseUndescribableTopics(missing, (topic) => native.metadata({ topics: [topic] }));
  }
  const refusal = toUnknownTopicRefusal(missing, setup.library);
  throw toUnknownTopicFailure(refusal, setup.base.clientId, topics, missing);
}
