import { Container } from 'inversify';
import { lastValueFrom } from 'rxjs';
import { Controller, createStreamLogger, EventPattern, KafkaClient, KafkaServer, Payload } from '../../lib';
import type { BenchEvent } from '../bench-event';
import { toOutputOf, type Pipeline } from './pipeline';

/**
 * rxkafka's own at-least-once pipeline: a KafkaServer event handler that produces each output through a
 * KafkaClient and returns once Kafka acknowledged it, so the input's offset commits only after its output
 * is written (a crash may write it twice). Keys run concurrently (`ordering: 'key'`), as (b).
 */
export const atLeastOncePipeline: Pipeline = {
  async start(config, progress) {
    const transport = {
      client: { brokers: [...config.brokers], clientId: config.groupId },
      logger: createStreamLogger('error'),
    };
    const client = new KafkaClient({ ...transport, producerOnlyMode: true });
    await client.connect();
    let started = false;

    @Controller()
    class TransformController {
      @EventPattern(config.inputTopic)
      async transform(@Payload() event: BenchEvent): Promise<void> {
        if (!started) {
          started = true;
          progress.started();
        }
        const output = toOutputOf(event);
        await lastValueFrom(client.emit(config.outputTopic, { key: output.key, value: output }), {
          defaultValue: undefined,
        });
        progress.done(1);
      }
    }
    const container = new Container();
    container.bind(TransformController).toSelf().inSingletonScope();
    const server = new KafkaServer(container, {
      ...transport,
      consumer: { groupId: config.groupId },
      subscribe: { fromBeginning: true },
      ordering: 'key',
      partitionConcurrency: 8,
      postfixId: '',
    });
    await server.listen();
    return {
      close: async () => {
        await server.close();
        await client.close();
      },
    };
  },
};
