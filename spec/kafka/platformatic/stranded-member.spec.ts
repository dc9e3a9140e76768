import { expect } from 'chai';
import type { DriverConsumerEvent } from '../../../lib/kafka/kafka-driver';
import type { PlatformaticConsumer } from '../../../lib/kafka/platformatic/platformatic-consumer';
import type { PlatformaticKafka } from '../../../lib/kafka/platformatic/platformatic-library';
import {
  closeOrRemoveMember,
  closeWithoutLeaving,
  MEMBER_REMOVAL_RETRIES,
  removeGroupMember,
  type ClosableMember,
} from '../../../lib/kafka/platformatic/stranded-member';
import { createFakeBackedConsumer, FakeConsumer } from './support/fake-platformatic-consumer';

/** What happened, in order, across the fake library's clients. */
let journal: string[] = [];

/**
 * A stand-in for @platformatic/kafka's Consumer that records its joins and leaves. The first one's group
 * coordinator died: its close throws the library's TypeError (LeaveGroup to a broker the metadata no longer
 * names) and it stays in the group.
 */
class StrandedConsumer extends FakeConsumer {
  protected override joining(): void {
    journal.push(`join ${this.memberId}`);
  }
  override close(force: boolean, callback: (error: Error | null) => void): void {
    if (this.number === 1) {
      // consumer.js #performGroupOperation: metadata.brokers.get(coordinatorId) is undefined.
      throw new TypeError("Cannot read properties of undefined (reading 'host')");
    }
    journal.push(`leave ${this.memberId}`);
    super.close(force, callback);
  }
}

/** A stand-in for @platformatic/kafka's Admin: it finds the group's current coordinator itself. */
class FakeAdmin {
  static options: Array<Record<string, unknown>> = [];
  constructor(options: Record<string, unknown>) {
    FakeAdmin.options.push(options);
  }
  async removeMembersFromConsumerGroup(options: {
    groupId: string;
    members: Array<{ memberId: string }>;
  }): Promise<void> {
    journal.push(
      `remove ${options.members.map(({ memberId }) => memberId).join(',')} from ${options.groupId}`,
    );
  }
  async close(): Promise<void> {
    journal.push('admin closed');
  }
}

/** The library's base client: its close is what a consumer's close runs once it left. */
class FakeBase {
  close(this: StrandedConsumer, callback: () => void): void {
    journal.push(`connections of ${this.memberId} closed`);
    callback();
  }
}

const library = {
  Consumer: StrandedConsumer,
  Admin: FakeAdmin,
  Base: FakeBase,
} as unknown as PlatformaticKafka;

function createConsumer(): PlatformaticConsumer {
  return createFakeBackedConsumer({
    library,
    base: { clientId: 'spec', bootstrapBrokers: ['localhost:9092'], retries: 60, retryDelay: 5 },
    restartDelaysMs: [1, 1, 1],
  });
}

describe('platformatic stranded group member', () => {
  beforeEach(() => {
    journal = [];
    FakeConsumer.reset();
    FakeAdmin.options = [];
  });

  it('a restart takes the member that could not leave (its coordinator died) out of the group before the new one joins', async () => {
    const consumer = createConsumer();
    await consumer.connect();
    await consumer.consume({ topics: ['t'], fromBeginning: false, eachBatch: async () => undefined });
    const events: DriverConsumerEvent[] = [];
    const rejoined = new Promise<void>((resolve) => {
      consumer.onEvent((event) => {
        events.push(event);
        if (event.type === 'group.joined' && FakeConsumer.created.length > 1) resolve();
      });
    });
    FakeConsumer.created[0].stream.destroy(new Error('fetch failed 7 times.'));
    await rejoined;

    expect(journal).to.deep.equal([
      'join member-1',
      'connections of member-1 closed',
      'remove member-1 from g',
      'admin closed',
      'join member-2',
    ]);
    // The first restart succeeded: the TypeError of the close did not fail it.
    expect(FakeConsumer.created).to.have.length(2);
    expect(events.map(({ type }) => type)).to.deep.equal(['crashed', 'group.joined']);
    expect(FakeAdmin.options[0]).to.include({ retries: MEMBER_REMOVAL_RETRIES, retryDelay: 5 });
    await consumer.disconnect();
    expect(journal.at(-1)).to.equal('leave member-2');
  });

  describe('closeOrRemoveMember()', () => {
    function member(close: ClosableMember['close'], memberId: string | null = 'm-1'): ClosableMember {
      return { memberId, close };
    }

    /** Steps that record what they were asked; the removal fails with `removalFailure` if given. */
    function recordingSteps(steps: string[], removalFailure?: Error) {
      return {
        closeConnections: async () => void steps.push('connections closed'),
        removeMember: async (memberId: string) => {
          steps.push(`remove ${memberId}`);
          if (removalFailure) throw removalFailure;
        },
      };
    }

    it('does nothing more when the member left', async () => {
      const steps: string[] = [];
      await closeOrRemoveMember(
        member((_force, callback) => callback(null)),
        recordingSteps(steps),
      );
      expect(steps).to.deep.equal([]);
    });

    it('closes the connections of the member whose leave failed, removes it, and swallows a failed removal', async () => {
      const steps: string[] = [];
      await closeOrRemoveMember(
        member((_force, callback) => callback(new Error('Connection to 127.0.0.1:9093 failed.'))),
        recordingSteps(steps, new Error('UNKNOWN_MEMBER_ID')),
      );
      expect(steps).to.deep.equal(['connections closed', 'remove m-1']);
    });

    it('removes nothing for a consumer that never joined', async () => {
      const steps: string[] = [];
      await closeOrRemoveMember(
        member((_force, callback) => callback(new Error('down')), null),
        recordingSteps(steps),
      );
      expect(steps).to.deep.equal(['connections closed']);
    });
  });

  it("closeWithoutLeaving() runs the library's base close on the consumer: its connections, and the retries waiting", async () => {
    const closedBy: unknown[] = [];
    class FakeBase {
      close(this: unknown, callback: () => void): void {
        closedBy.push(this);
        callback();
      }
    }
    const stranded = member();
    await closeWithoutLeaving({ Base: FakeBase } as unknown as PlatformaticKafka, stranded);
    expect(closedBy).to.deep.equal([stranded]);

    function member(): ClosableMember {
      return { memberId: 'm-1', close: () => expect.fail('the consumer close (a leave) ran') };
    }
  });

  it('removeGroupMember() closes its Admin even when the removal fails', async () => {
    class FailingAdmin extends FakeAdmin {
      override async removeMembersFromConsumerGroup(): Promise<void> {
        throw new Error('COORDINATOR_NOT_AVAILABLE');
      }
    }
    const failing = { Admin: FailingAdmin } as unknown as PlatformaticKafka;
    await removeGroupMember(failing, { clientId: 'spec', bootstrapBrokers: ['b:1'] }, 'g', 'm-1').then(
      () => expect.fail('the removal succeeded'),
      (error: Error) => expect(error.message).to.equal('COORDINATOR_NOT_AVAILABLE'),
    );
    expect(journal).to.deep.equal(['admin closed']);
  });
});
