import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import {
  checkTransactionalIdAccess,
  toAccessCheckTransactionalId,
} from '../../lib/kafka/access-check-transactional-id';
import type { KafkaDriver } from '../../lib/kafka/kafka-driver';

/** A driver whose transactional producer's connect() ends as `connect` says, recording what it was given. */
function driverWhoseConnect(connect: () => Promise<void>) {
  const seen = { transactionalIds: [] as string[], librarySettings: [] as unknown[], disconnects: 0 };
  const driver = {
    createTransactionalProducer: ({ transactionalId, librarySettings }) => {
      seen.transactionalIds.push(transactionalId);
      seen.librarySettings.push(librarySettings);
      return {
        connect,
        disconnect: async () => {
          seen.disconnects += 1;
        },
      };
    },
  } as Pick<KafkaDriver, 'createTransactionalProducer'>;
  return { driver, seen };
}

describe('checkTransactionalIdAccess', () => {
  it('connects a producer under the prefix’s access-check id with the settings given, then disconnects it', async () => {
    const { driver, seen } = driverWhoseConnect(async () => undefined);
    await checkTransactionalIdAccess(driver, 'orders-eos', { acks: -1 });
    expect(seen.transactionalIds).to.deep.equal(['orders-eos-*access-check']);
    expect(seen.transactionalIds[0]).to.equal(toAccessCheckTransactionalId('orders-eos'));
    expect(seen.librarySettings).to.deep.equal([{ acks: -1 }]);
    expect(seen.disconnects).to.equal(1);
  });

  it('passes when fenced by another member’s check of the same id (that one was authorized)', async () => {
    const { driver, seen } = driverWhoseConnect(async () => {
      throw new RxKafkaError('RXK_PRODUCER_FENCED', 'fenced by a newer producer');
    });
    await checkTransactionalIdAccess(driver, 'orders-eos');
    expect(seen.disconnects).to.equal(1);
  });

  it('fails with the refusal as the driver gave it, and still disconnects', async () => {
    const refusal = new RxKafkaError(
      'RXK_NOT_AUTHORIZED',
      'transactional id orders-eos-*access-check refused',
    );
    const { driver, seen } = driverWhoseConnect(async () => {
      throw refusal;
    });
    const error = await checkTransactionalIdAccess(driver, 'orders-eos').catch((e: unknown) => e);
    expect(error).to.equal(refusal);
    expect(seen.disconnects).to.equal(1);
  });
});
