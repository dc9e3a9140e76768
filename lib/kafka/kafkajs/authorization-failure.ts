/**
 * Recognises Kafka's authorization refusals in what kafkajs 2.2.4 throws, and turns them into
 * `RXK_NOT_AUTHORIZED` (a NotAuthorizedError) naming the resource refused and the principal (the SASL
 * username: never the password).
 *
 * Kafka refuses a topic (TOPIC_AUTHORIZATION_FAILED, 29), a group (GROUP_AUTHORIZATION_FAILED, 30), the
 * cluster (CLUSTER_AUTHORIZATION_FAILED, 31: an idempotent producer whose user may write to no topic) or a
 * transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53). kafkajs counts all four as not retriable and
 * gives up at once; groups and transactional ids met at a coordinator lookup come out as
 * KafkaJSGroupCoordinatorNotFound (see authorization-refusals.ts).
 */
import type { Kafka } from 'kafkajs';
import { RxKafkaError, type AuthorizationResourceType, type NotAuthorizedError } from '../../errors';
import type { AuthorizationRefusals, SwallowedRefusal } from './authorization-refusals';
import { walkCauses } from '../error-chain';
import { toNotAuthorizedError, type AuthorizationTarget } from '../not-authorized';

export type { AuthorizationTarget } from '../not-authorized';

/** What withAuthorization() needs of a client: who it is, what its log saw, and the client to ask again. */
export interface AuthorizationContext {
  readonly target: AuthorizationTarget;
  readonly refusals: AuthorizationRefusals;
  readonly kafka: Kafka;
}

/** The resources the failed step touched, so the error can name the one refused. */
export interface AuthorizationScope {
  readonly topics?: readonly string[];
  readonly groupId?: string;
  readonly transactionalId?: string;
  /** Refusals kafkajs logged during the step without throwing them (AuthorizationRefusals.since()). */
  readonly swallowed?: ReadonlySet<SwallowedRefusal>;
}

const REFUSALS: ReadonlyMap<unknown, AuthorizationResourceType> = new Map<unknown, AuthorizationResourceType>(
  [
    [29, 'topic'],
    ['TOPIC_AUTHORIZATION_FAILED', 'topic'],
    [30, 'group'],
    ['GROUP_AUTHORIZATION_FAILED', 'group'],
    [31, 'cluster'],
    ['CLUSTER_AUTHORIZATION_FAILED', 'cluster'],
    [53, 'transactionalId'],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'transactionalId'],
  ],
);

/** The kind of resource Kafka refused, found anywhere in `error`'s chain or among the swallowed refusals. */
export function findRefusedResource(
  error: unknown,
  swallowed: ReadonlySet<SwallowedRefusal> = new Set(),
): AuthorizationResourceType | undefined {
  if (RxKafkaError.isRxKafkaError(error)) return undefined;
  const links = [...walkCauses(error)];
  for (const link of links) {
    const refused = REFUSALS.get(link.type) ?? REFUSALS.get(link.code);
    if (refused) return refused;
  }
  if (!links.some((link) => link.name === 'KafkaJSGroupCoordinatorNotFound')) return undefined;
  if (swallowed.has('transactionalId')) return 'transactionalId';
  if (swallowed.has('group')) return 'group';
  return undefined;
}

/** `error` as a NotAuthorizedError when Kafka refused authorization; `undefined` for anything else. */
export function toAuthorizationFailure(
  error: unknown,
  scope: AuthorizationScope,
  target: AuthorizationTarget,
): NotAuthorizedError | undefined {
  const resourceType = findRefusedResource(error, scope.swallowed);
  if (!resourceType) return undefined;
  return toNotAuthorizedError(resourceType, scope, target, error);
}

/**
 * The topics among `topics` that Kafka refuses to describe to this client, asked one at a time: a failed
 * produce names none when it wrote to several. Empty when every lookup succeeded (only writing is
 * refused) or the lookups failed for another reason.
 */
export async function findRefusedTopics(kafka: Kafka, topics: readonly string[]): Promise<string[]> {
  const admin = kafka.admin();
  const refused: string[] = [];
  try {
    await admin.connect();
    for (const topic of topics) {
      const answer = await admin.fetchTopicMetadata({ topics: [topic] }).then(
        () => undefined,
        (error: unknown) => findRefusedResource(error),
      );
      if (answer === 'topic') refused.push(topic);
    }
  } catch {
    return [];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return refused;
}

/**
 * Runs one step of a client (a connect, a subscription), rethrowing an authorization refusal as a
 * NotAuthorizedError; `refusals` supplies what kafkajs logged during the step without throwing it.
 */
export async function withAuthorization<T>(
  step: () => Promise<T>,
  scope: Omit<AuthorizationScope, 'swallowed'>,
  context: AuthorizationContext,
): Promise<T> {
  const mark = context.refusals.mark();
  try {
    return await step();
  } catch (error) {
    return rethrowAuthorizationFailure(error, scope, context, mark);
  }
}

/**
 * Throws `error` as a NotAuthorizedError when it is an authorization refusal, else as it is. When Kafka
 * refused one of several topics without saying which, each is looked up on `context.kafka` to name it.
 * `mark` (AuthorizationRefusals.mark() before the step) lets refusals kafkajs only logged count.
 */
export async function rethrowAuthorizationFailure(
  error: unknown,
  scope: Omit<AuthorizationScope, 'swallowed'>,
  context: AuthorizationContext,
  mark?: number,
): Promise<never> {
  const swallowed = mark === undefined ? undefined : context.refusals.since(mark);
  const failure = toAuthorizationFailure(error, { ...scope, swallowed }, context.target);
  if (!failure) throw error;
  const topics = scope.topics ?? [];
  if (failure.resourceType !== 'topic' || topics.length < 2) throw failure;
  const refused = await findRefusedTopics(context.kafka, topics);
  throw (refused.length > 0 && toAuthorizationFailure(error, { topics: refused }, context.target)) || failure;
}

/**
 * Sends through `send`, rethrowing an authorization refusal as a NotAuthorizedError that names the topic
 * only when Kafka refuses that topic itself. kafkajs refreshes the metadata of every topic its producer
 * has written to in one request, and fails a send whose own topic is allowed when another send's topic,
 * refused, is in that request at the same moment: the refusal does not say which topic it was. So the
 * send's topics are looked up one at a time; a refused one is named. When none is (Kafka refuses only the
 * write, or the refusal was another topic's), a send to one topic is tried once more and a second refusal
 * stands; a send to several is not, since some of its records may have been written.
 */
export async function sendWithAuthorization<T>(
  send: () => Promise<T>,
  topics: readonly string[],
  context: AuthorizationContext,
): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const failure = toAuthorizationFailure(error, { topics }, context.target);
    if (!failure) throw error;
    if (failure.resourceType !== 'topic') throw failure;
    const refused = await findRefusedTopics(context.kafka, topics);
    if (refused.length > 0)
      throw toAuthorizationFailure(error, { topics: refused }, context.target) ?? failure;
    if (topics.length !== 1) throw failure;
    return send().catch((again: unknown) => rethrowAuthorizationFailure(again, { topics }, context));
  }
}
