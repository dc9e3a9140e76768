/**
 * Commands across a fleet: an inspector that follows a fleet topic sends a command for another member to
 * the fleet's command topic (`<fleet topic>.commands`, keyed by member), and each member that publishes
 * its inspection with commands on reads that topic and runs the commands addressed to it. The record
 * carries the token the operator gave the inspector; a member runs a command only when that token is its
 * own, so a fleet shares one token. The member's answer is its `command` entry, which reaches every
 * inspector through the fleet topic like any other entry.
 *
 * A member reads the command topic from the end it finds when it starts: a command sent while it was down
 * is not run later, when it may no longer make sense.
 */
import { randomBytes } from 'node:crypto';
import { KafkaClient } from '../client/kafka-client';
import type { Logger } from '../logger';
import type { InspectorCommandBody } from './command-body';
import type { InspectorCommands } from './inspector-commands';
import type { FleetTopic } from './fleet-topic';
import { readTopic } from './topic-reader';

/** The topic a fleet's commands travel on. */
export function toCommandTopic(fleet: FleetTopic): string {
  return `${fleet.topic}.commands`;
}

/** A command as it travels: who it is for, what it is, and the token its sender was given. */
interface CommandRecord {
  readonly token: string;
  readonly command: InspectorCommandBody;
}

/** Sends commands to the fleet's command topic until closed. */
export async function createCommandSender(
  fleet: FleetTopic,
  logger: Logger,
): Promise<{ send(command: InspectorCommandBody, token: string): Promise<void>; close(): Promise<void> }> {
  const producer = new KafkaClient({
    client: { ...fleet.client, clientId: `rxkafka-inspector-commands-${randomBytes(4).toString('hex')}` },
    producerOnlyMode: true,
    postfixId: '',
    logger,
  });
  await producer.connect();
  const topic = toCommandTopic(fleet);
  return {
    send: (command, token) =>
      new Promise<void>((resolve, reject) => {
        const value: CommandRecord = { token, command };
        producer.emit(topic, { key: command.member ?? '', value }).subscribe({
          complete: resolve,
          error: reject,
        });
      }),
    close: () => producer.close().then(() => undefined),
  };
}

/** Runs the commands of the fleet's command topic addressed to `member`, until closed. */
export async function runFleetCommands(
  fleet: FleetTopic,
  member: string,
  commands: InspectorCommands,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  const topic = toCommandTopic(fleet);
  return readTopic({
    client: fleet.client,
    topic,
    clientIdPrefix: 'rxkafka-commands',
    fromBeginning: false,
    logger,
    onRecord: (value, offset) => {
      const record = parseCommandRecord(value);
      if (record === undefined) {
        logger.warn(`skipped a record of ${topic} that is not a command`, { offset });
        return;
      }
      if (record.command.member !== member) return;
      void commands.runForwarded(record.token, record.command).then(({ body }) => {
        if (!body.accepted)
          logger.warn(`command ${record.command.id} from the fleet refused: ${body.reason}`, {
            refusal: body.refusal,
          });
      });
    },
  });
}

function parseCommandRecord(value: Buffer | null): CommandRecord | undefined {
  if (!value) return undefined;
  try {
    const record = JSON.parse(value.toString('utf8')) as Partial<CommandRecord>;
    return typeof record === 'object' &&
      record !== null &&
      typeof record.token === 'string' &&
      typeof record.command === 'object' &&
      record.command !== null
      ? (record as CommandRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
