import { expect } from 'chai';
import { KafkaContext as NestKafkaContext } from '@nestjs/microservices';
import type { Consumer, Producer } from 'kafkajs';
import { KafkaContext, type KafkaContextArgs } from '../../lib/handlers/kafka-context';
import type { IncomingMessage } from '../../lib/wire/parser';

function createArgs(): KafkaContextArgs {
  const message: IncomingMessage = {
    topic: 'hero.kill.dragon',
    partition: 2,
    offset: '41',
    timestamp: '1700000000000',
    attributes: 0,
    key: 'dragon-7',
    value: { dragonId: 7 },
    headers: { kafka_correlationId: 'abc' },
  };
  const consumer = { name: 'consumer' } as unknown as Consumer;
  const producer = { name: 'producer' } as unknown as Producer;
  const heartbeat = async (): Promise<void> => undefined;
  return [message, 2, 'hero.kill.dragon', consumer, heartbeat, producer];
}

describe('KafkaContext', () => {
  const args = createArgs();
  const kafkaContext = new KafkaContext(args);

  it('returns each constructor value from its getter', () => {
    expect(kafkaContext.getMessage()).to.equal(args[0]);
    expect(kafkaContext.getPartition()).to.equal(2);
    expect(kafkaContext.getTopic()).to.equal('hero.kill.dragon');
    expect(kafkaContext.getConsumer()).to.equal(args[3]);
    expect(kafkaContext.getHeartbeat()).to.equal(args[4]);
    expect(kafkaContext.getProducer()).to.equal(args[5]);
  });

  describe('.getArgs()', () => {
    it('returns the values in NestJS order', () => {
      expect(kafkaContext.getArgs()).to.deep.equal(args);
    });

    it('is not changed by later writes to the constructor array', () => {
      const mutable = createArgs();
      const ownContext = new KafkaContext(mutable);
      mutable[2] = 'changed';
      expect(ownContext.getTopic()).to.equal('hero.kill.dragon');
      expect(Object.isFrozen(ownContext.getArgs())).to.equal(true);
    });
  });

  describe('.getArgByIndex()', () => {
    it('returns the value at an index, and undefined past the end', () => {
      expect(kafkaContext.getArgByIndex(1)).to.equal(2);
      expect(kafkaContext.getArgByIndex(2)).to.equal('hero.kill.dragon');
      expect(kafkaContext.getArgByIndex(6)).to.equal(undefined);
    });
  });

  context('compared with @nestjs/microservices 11', () => {
    it('answers every getter and index as NestJS KafkaContext does for the same arguments', () => {
      const nest = new NestKafkaContext(args as unknown as ConstructorParameters<typeof NestKafkaContext>[0]);
      expect(kafkaContext.getMessage()).to.equal(nest.getMessage());
      expect(kafkaContext.getPartition()).to.equal(nest.getPartition());
      expect(kafkaContext.getTopic()).to.equal(nest.getTopic());
      expect(kafkaContext.getConsumer()).to.equal(nest.getConsumer());
      expect(kafkaContext.getHeartbeat()).to.equal(nest.getHeartbeat());
      expect(kafkaContext.getProducer()).to.equal(nest.getProducer());
      for (let index = 0; index <= 6; index += 1) {
        expect(kafkaContext.getArgByIndex(index), `index ${index}`).to.equal(nest.getArgByIndex(index));
      }
    });
  });
});
