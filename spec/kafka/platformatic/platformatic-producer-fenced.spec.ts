import { expect } from 'chai';
import { RxKafkaError } from '../../../lib/errors';
import { loadPlatformatic } from '../../../lib/kafka/platformatic/platformatic-library';
import {
  isPlatformaticProducerFenced,
  toPlatformaticProducerFenced,
} from '../../../lib/kafka/platformatic/platformatic-producer-fenced';

const { MultipleErrors, ProtocolError, ResponseError } = loadPlatformatic();

/** Kafka's answer `errorCode` to EndTxn (API 26) as @platformatic/kafka raises it after its retries. */
function endTxnAnswered(errorCode: number): Error {
  return new MultipleErrors('endTransaction failed 1 times.', [
    new ResponseError(26, 4, { '/': [errorCode, null] }, { errorCode }),
  ]);
}

describe('platformatic producer fencing', () => {
  it('maps PRODUCER_FENCED (90) and INVALID_PRODUCER_EPOCH (47), nested, to RXK_PRODUCER_FENCED', () => {
    for (const errorCode of [90, 47]) {
      const error = endTxnAnswered(errorCode);
      expect(isPlatformaticProducerFenced(error)).to.equal(true);
      const mapped = toPlatformaticProducerFenced(error, 'billing-tx-orders-0');
      expect(RxKafkaError.isRxKafkaError(mapped)).to.equal(true);
      const fenced = mapped as RxKafkaError;
      expect(fenced.code).to.equal('RXK_PRODUCER_FENCED');
      expect(fenced.message).to.contain('billing-tx-orders-0');
      expect(fenced.cause).to.equal(error);
    }
  });

  it('maps a bare ProtocolError too', () => {
    const mapped = toPlatformaticProducerFenced(new ProtocolError('PRODUCER_FENCED'), 'tx-1');
    expect((mapped as RxKafkaError).code).to.equal('RXK_PRODUCER_FENCED');
  });

  it('leaves any other error as it is', () => {
    for (const error of [
      endTxnAnswered(51),
      new ProtocolError('INVALID_TXN_STATE'),
      new Error('socket hang up'),
      new RxKafkaError('RXK_NOT_AUTHORIZED', 'refused'),
    ]) {
      expect(isPlatformaticProducerFenced(error)).to.equal(false);
      expect(toPlatformaticProducerFenced(error, 'tx-1')).to.equal(error);
    }
  });

  it('keeps an RXK_PRODUCER_FENCED it is given, not wrapping it again', () => {
    const fenced = toPlatformaticProducerFenced(new ProtocolError('PRODUCER_FENCED'), 'tx-1');
    expect(isPlatformaticProducerFenced(fenced)).to.equal(true);
    expect(toPlatformaticProducerFenced(fenced, 'tx-1')).to.equal(fenced);
  });
});
