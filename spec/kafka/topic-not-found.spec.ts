import { expect } from 'chai';
import { findMissingTopics, requireTopic } from '../../lib/kafka/topic-not-found';
import { RxKafkaError } from '../../lib';

describe('findMissingTopics()', () => {
  it('asks once when every topic is listed', async () => {
    let asked = 0;
    const listTopics = async () => {
      asked += 1;
      return ['a', 'b', 'c'];
    };
    expect(await findMissingTopics(listTopics, ['a', 'c'])).to.deep.equal([]);
    expect(asked).to.equal(1);
  });

  it('asks again while a topic is missing, and forgets one that shows up meanwhile (just created)', async () => {
    const answers = [['a'], ['a', 'b']];
    const listTopics = async () => answers.shift() ?? ['a', 'b'];
    expect(await findMissingTopics(listTopics, ['a', 'b'])).to.deep.equal([]);
  });

  it('names the topics still missing after its last look, and only those', async () => {
    let asked = 0;
    const listTopics = async () => {
      asked += 1;
      return ['a'];
    };
    expect(await findMissingTopics(listTopics, ['a', 'b', 'c'])).to.deep.equal(['b', 'c']);
    expect(asked).to.equal(4);
  });
});

describe('requireTopic()', () => {
  it('rejects with RXK_TOPIC_NOT_FOUND naming the topic the cluster lacks', async () => {
    const error = await requireTopic(async () => ['other'], 'orders', 'billing').catch(
      (rejected: unknown) => rejected,
    );
    expect(RxKafkaError.isRxKafkaError(error) && error.code).to.equal('RXK_TOPIC_NOT_FOUND');
    expect((error as RxKafkaError).context.topic).to.equal('orders');
  });
});
