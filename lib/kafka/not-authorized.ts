/**
 * The NotAuthorizedError (`RXK_NOT_AUTHORIZED`) both drivers raise when Kafka's authorizer refuses this
 * client: one message shape, naming the resource refused and the principal (the SASL username, never the
 * password), whichever client library met the refusal. Each adapter only recognises the refusal in what its
 * library throws (kafkajs/authorization-failure.ts, platformatic/platformatic-authorization.ts).
 */
import { NotAuthorizedError, type AuthorizationResourceType } from '../errors';

/** Who asked: the client id and its SASL settings (only `username` is read). */
export interface AuthorizationTarget {
  readonly clientId: string;
  readonly sasl?: unknown;
}

/** The resources the refused request touched, so the error can name the one refused. */
export interface RefusedResources {
  readonly topics?: readonly string[];
  readonly groupId?: string;
  readonly transactionalId?: string;
}

const KAFKA_ERROR_NAMES: Readonly<Record<AuthorizationResourceType, string>> = {
  topic: 'TOPIC_AUTHORIZATION_FAILED',
  group: 'GROUP_AUTHORIZATION_FAILED',
  transactionalId: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  cluster: 'CLUSTER_AUTHORIZATION_FAILED',
};

/** The NotAuthorizedError for Kafka's refusal of `resourceType` among `resources`, `cause` what the library threw. */
export function toNotAuthorizedError(
  resourceType: AuthorizationResourceType,
  resources: RefusedResources,
  target: AuthorizationTarget,
  cause: unknown,
): NotAuthorizedError {
  const principal = principalOf(target);
  const { name, description } = describeResource(resourceType, resources);
  return new NotAuthorizedError(
    `${target.clientId}: Kafka refused ${principal} access to ${description} (${KAFKA_ERROR_NAMES[resourceType]}). ` +
      `Grant it an ACL for ${description} (kafka-acls --add --allow-principal ${principal} …, or ` +
      `admin.createAcls()), or connect as a user that has one. Not retried: every attempt would be refused the same way.`,
    {
      cause,
      resourceType,
      resourceName: name,
      principal,
      ...(resourceType === 'topic' && name !== undefined && { topic: name }),
    },
  );
}

/** The principal Kafka's ACLs name for `target`: `User:<SASL username>`. */
export function principalOf(target: AuthorizationTarget): string {
  const sasl = target.sasl;
  const username =
    typeof sasl === 'object' && sasl !== null ? (sasl as { username?: unknown }).username : undefined;
  return typeof username === 'string' ? `User:${username}` : 'this client (no SASL user: User:ANONYMOUS)';
}

function describeResource(
  resourceType: AuthorizationResourceType,
  resources: RefusedResources,
): { name: string | undefined; description: string } {
  if (resourceType === 'group') return named('consumer group', resources.groupId);
  if (resourceType === 'transactionalId') return named('transactional id', resources.transactionalId);
  if (resourceType === 'cluster') {
    return { name: undefined, description: 'the cluster (IdempotentWrite, or Write on some topic)' };
  }
  const topics = resources.topics ?? [];
  if (topics.length === 1) return named('topic', topics[0]);
  if (topics.length === 0) return { name: undefined, description: 'a topic' };
  return {
    name: undefined,
    description: `one of the topics ${topics.map((topic) => `'${topic}'`).join(', ')}`,
  };
}

function named(kind: string, name: string | undefined): { name: string | undefined; description: string } {
  return { name, description: name === undefined ? `a ${kind}` : `${kind} '${name}'` };
}
