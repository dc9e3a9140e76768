/**
 * Recognises Kafka's authorization refusals in what @platformatic/kafka 1.x throws, and turns them into the
 * NotAuthorizedError (`RXK_NOT_AUTHORIZED`) the kafkajs driver gives (lib/kafka/not-authorized.ts).
 *
 * The broker's refusal is a ProtocolError (`apiId` TOPIC_, GROUP_, CLUSTER_ or
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED; all four `canRetry: false`, so the library gives up at once) inside
 * the ResponseError of the request that met it, sometimes inside a MultipleErrors too. The ProtocolError's
 * `path` points into the ResponseError's `response` (`/topics/1`, `/coordinators/0`), whose entry carries
 * the resource's own name (`name` for a topic, `key` for a group's coordinator): the error names exactly the
 * topic refused even when one request asked for several, with no second lookup.
 */
import { RxKafkaError, type AuthorizationResourceType, type NotAuthorizedError } from '../../errors';
import { toNotAuthorizedError, type AuthorizationTarget, type RefusedResources } from '../not-authorized';
import { walkPlatformaticErrors } from './platformatic-errors';

const REFUSALS: ReadonlyMap<unknown, AuthorizationResourceType> = new Map<unknown, AuthorizationResourceType>(
  [
    ['TOPIC_AUTHORIZATION_FAILED', 'topic'],
    ['GROUP_AUTHORIZATION_FAILED', 'group'],
    ['CLUSTER_AUTHORIZATION_FAILED', 'cluster'],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'transactionalId'],
  ],
);

/** Kafka's refusal found in an error: what kind of resource, and the names the broker's answer gives it. */
export interface PlatformaticRefusal {
  readonly resourceType: AuthorizationResourceType;
  /** The refused resources' names read from the response; empty when the response does not say. */
  readonly names: readonly string[];
}

interface Link {
  readonly apiId?: unknown;
  readonly path?: unknown;
  readonly response?: unknown;
  readonly errors?: unknown;
}

/**
 * The first authorization refusal anywhere in `error` (aggregated errors, causes), with every name the
 * broker's answer gives for that kind of resource; `undefined` when Kafka refused nothing. An RxKafkaError
 * is already this library's verdict and is not read again.
 */
export function findPlatformaticRefusal(error: unknown): PlatformaticRefusal | undefined {
  if (RxKafkaError.isRxKafkaError(error)) return undefined;
  let resourceType: AuthorizationResourceType | undefined;
  const names: string[] = [];
  // A ResponseError's `response` is what its nested ProtocolErrors' paths point into.
  const responses = new Map<unknown, unknown>();
  for (const link of walkPlatformaticErrors(error) as Iterable<Link>) {
    if (Array.isArray(link.errors) && link.response !== undefined) {
      for (const nested of link.errors) responses.set(nested, link.response);
    }
    const refused = REFUSALS.get(link.apiId);
    if (!refused || (resourceType !== undefined && refused !== resourceType)) continue;
    resourceType = refused;
    const name = nameAt(responses.get(link), link.path);
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return resourceType && { resourceType, names };
}

/**
 * `error` as a NotAuthorizedError when Kafka refused authorization; `undefined` for anything else. The
 * names the broker's answer gives win over `resources` (what the step asked for), which fill in where the
 * answer names nothing.
 */
export function toPlatformaticAuthorizationFailure(
  error: unknown,
  resources: RefusedResources,
  target: AuthorizationTarget,
): NotAuthorizedError | undefined {
  const refusal = findPlatformaticRefusal(error);
  if (!refusal) return undefined;
  const [first] = refusal.names;
  const named: RefusedResources =
    first === undefined
      ? resources
      : refusal.resourceType === 'topic'
        ? { ...resources, topics: refusal.names }
        : refusal.resourceType === 'group'
          ? { ...resources, groupId: first }
          : refusal.resourceType === 'transactionalId'
            ? { ...resources, transactionalId: first }
            : resources;
  return toNotAuthorizedError(refusal.resourceType, named, target, error);
}

/** Runs `step`, rethrowing an authorization refusal as a NotAuthorizedError; anything else as it is. */
export async function withPlatformaticAuthorization<T>(
  step: () => Promise<T>,
  resources: RefusedResources,
  target: AuthorizationTarget,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw toPlatformaticAuthorizationFailure(error, resources, target) ?? error;
  }
}

/**
 * The topics among `topics` that Kafka refuses to describe, asked one at a time through `describe` (a
 * metadata request): a topic the user may not describe is left out of the cluster's topic list, so it looks
 * missing. One at a time because @platformatic/kafka reports a missing topic in the same request instead of
 * the refusal. Throws the first refusal as a NotAuthorizedError naming every refused topic; returns when none
 * is refused (the topics are missing, or the lookups failed for another reason).
 */
export async function refuseUndescribableTopics(
  topics: readonly string[],
  describe: (topic: string) => Promise<unknown>,
  target: AuthorizationTarget,
): Promise<void> {
  const refused: string[] = [];
  let firstRefusal: unknown;
  for (const topic of topics) {
    await describe(topic).catch((error: unknown) => {
      if (findPlatformaticRefusal(error)?.resourceType !== 'topic') return;
      refused.push(topic);
      firstRefusal ??= error;
    });
  }
  if (refused.length === 0) return;
  throw toNotAuthorizedError('topic', { topics: refused }, target, firstRefusal);
}

/** The `name` (a topic) or `key` (a coordinator's group) of the response entry `path` (`/topics/1`) points at. */
function nameAt(response: unknown, path: unknown): string | undefined {
  if (typeof response !== 'object' || response === null || typeof path !== 'string') return undefined;
  const match = /^\/(\w+)\/(\d+)(?:\/|$)/.exec(path);
  if (!match) return undefined;
  const list = (response as Record<string, unknown>)[match[1]];
  const entry: unknown = Array.isArray(list) ? list[Number(match[2])] : undefined;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { name, key } = entry as { name?: unknown; key?: unknown };
  if (typeof name === 'string') return name;
  return typeof key === 'string' ? key : undefined;
}
