/**
 * The one place a front end's KafkaConnection is set up: its resolved options (the fields every front end's
 * resolved options share) and the role the connection plays for it.
 */
import type { GroupProtocol, KafkaDriver } from '../kafka/kafka-driver';
import type { ProduceSettings } from '../kafka/record-producer';
import type { Logger } from '../logger';
import { RxKafkaError } from '../errors';
import { KafkaConnection, type KafkaConnectionOptions } from './kafka-connection';

type ConsumerOptions = NonNullable<KafkaConnectionOptions['consumer']>;

/**
 * What a connection is built from, as resolved options name it (`ResolvedServerOptions`,
 * `ResolvedClientOptions` and `ResolvedConsumeOptions` have these fields), with the driver already chosen.
 */
export interface ConnectionSource {
  readonly driver: KafkaDriver;
  readonly clientId: string;
  readonly logger: Logger;
  readonly groupId?: string;
  readonly producerConfig?: unknown;
  readonly sendConfig?: ProduceSettings;
  readonly consumerConfig?: unknown;
  readonly runConfig?: ConsumerOptions['runSettings'];
  readonly subscribeConfig?: { readonly fromBeginning?: boolean };
  readonly connectTimeoutMs?: number;
  /** How the consumer joins its group; absent: `'classic'`. */
  readonly groupProtocol?: GroupProtocol;
}

/** A connection that only produces (a client in producerOnlyMode, a stream producer). */
export interface ProducerRole {
  readonly kind: 'producer';
}

/**
 * A connection with a group member that hands each fetched batch to `eachBatch`. Fields given here win over
 * the source's: a read with a throwaway group names its own group, start and commit settings.
 */
export interface ConsumerRole extends Pick<
  ConsumerOptions,
  'topics' | 'eachBatch' | 'replyPartitions' | 'fromBeginning' | 'runSettings'
> {
  readonly kind: 'consumer';
  readonly groupId?: string;
  /** Read every partition without any group (the driver's reader; see KafkaDriver.createReader). */
  readonly withoutGroup?: boolean;
  /** False for a member whose outputs go elsewhere: its producer is never connected. @defaultValue true */
  readonly produces?: boolean;
  readonly inFlight?: KafkaConnectionOptions['inFlight'];
  readonly progress?: KafkaConnectionOptions['progress'];
}

export type ConnectionRole = ProducerRole | ConsumerRole;

/** A KafkaConnection for `role`, from resolved options. */
export function createKafkaConnection(source: ConnectionSource, role: ConnectionRole): KafkaConnection {
  const common = {
    driver: source.driver,
    clientId: source.clientId,
    logger: source.logger,
    producerSettings: source.producerConfig,
    sendConfig: source.sendConfig,
    connectTimeoutMs: source.connectTimeoutMs,
  };
  if (role.kind === 'producer') return new KafkaConnection(common);
  const groupId = role.withoutGroup ? undefined : (role.groupId ?? source.groupId);
  if (groupId === undefined && !role.withoutGroup) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `the consumer of ${source.clientId} has no group: give its options a groupId`,
      { path: 'groupId' },
    );
  }
  return new KafkaConnection({
    ...common,
    produces: role.produces,
    inFlight: role.inFlight,
    progress: role.progress,
    consumer: {
      ...(groupId === undefined ? {} : { groupId }),
      ...(source.groupProtocol === undefined ? {} : { groupProtocol: source.groupProtocol }),
      librarySettings: source.consumerConfig,
      runSettings: role.runSettings ?? source.runConfig,
      replyPartitions: role.replyPartitions,
      topics: role.topics,
      fromBeginning: role.fromBeginning ?? source.subscribeConfig?.fromBeginning ?? false,
      eachBatch: role.eachBatch,
    },
  });
}
