import { filter, firstValueFrom, tap } from 'rxjs';
import { commitAfter, consume, createProducer, createStreamLogger, produceTo } from '../../lib';
import type { BenchEvent } from '../bench-event';
import { toOutputOf, type Pipeline } from './pipeline';

/**
 * rxkafka's at-least-once pipeline as the README shows it: `consume()` → `produceTo()` → `commitAfter()`. An
 * input commits once its output is acknowledged (a crash may write an output twice). Outputs keep the input
 * order per partition; `produceTo()` sends what one moment brings in one request.
 */
export const streamAtLeastOncePipeline: Pipeline = {
  async start(config, progress) {
    const transport = {
      client: { brokers: [...config.brokers], clientId: config.groupId },
      logger: createStreamLogger('error'),
    };
    const producer = createProducer(transport);
    await producer.connect();
    const stream = consume<BenchEvent>({
      ...transport,
      groupId: config.groupId,
      topics: [config.inputTopic],
      fromBeginning: true,
    });
    let started = false;
    const subscription = stream
      .pipe(
        produceTo(config.outputTopic, producer, {
          toRecord: (record) => {
            if (!started) {
              started = true;
              progress.started();
            }
            // consume() decoded the JSON value already (its default decode), as the other pipelines do once.
            const output = toOutputOf(record.value);
            return { key: output.key, value: JSON.stringify(output) };
          },
        }),
        commitAfter((produced) => produced.input),
        tap(() => progress.done(1)),
      )
      .subscribe({ error: (error: unknown) => progress.fail(error) });
    // Resolves once the member has joined its group, as the other pipelines' start does.
    await firstValueFrom(
      stream.connection.assignment$.pipe(filter((assignment) => Object.keys(assignment).length > 0)),
    );
    return {
      close: async () => {
        await stream.drain();
        subscription.unsubscribe();
        await producer.close();
      },
    };
  },
};
