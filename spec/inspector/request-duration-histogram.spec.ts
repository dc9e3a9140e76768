import { expect } from 'chai';
import { Histogram, Registry } from 'prom-client';
import {
  REQUEST_DURATION_BUCKETS,
  RequestDurationHistogram,
  type RequestOutcomeLabel,
} from '../../lib/inspector/request-duration-histogram';

/** The same observations into prom-client's own Histogram and into ours, each in its own registry. */
function bothWith(observations: ReadonlyArray<[string, RequestOutcomeLabel, number]>) {
  const reference = new Registry();
  const theirs = new Histogram({
    name: 'rxkafka_request_duration_seconds',
    help: 'From send() to the last reply (answered) or to the timeout.',
    labelNames: ['source', 'outcome'],
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers: [reference],
  });
  const ours = new Registry();
  const histogram = new RequestDurationHistogram();
  ours.registerMetric(histogram.asMetric());
  for (const [source, outcome, seconds] of observations) {
    theirs.observe({ source, outcome }, seconds);
    histogram.observe(source, outcome, seconds);
  }
  return { reference, ours, histogram };
}

describe('RequestDurationHistogram', () => {
  // Values on the bounds (a bucket counts up to and including its bound), between them, above the last,
  // zero; three series, first seen interleaved.
  const observations: Array<[string, RequestOutcomeLabel, number]> = [
    ['client', 'answered', 0.001],
    ['other', 'answered', 0.0007],
    ['client', 'timed-out', 30],
    ['client', 'answered', 0.0049],
    ['client', 'answered', 0],
    ['other', 'answered', 2.5],
    ['client', 'timed-out', 31.5],
    ['client', 'answered', 0.25000001],
  ];

  it('scrapes as the same text as prom-client’s Histogram given the same observations', async () => {
    const { reference, ours } = bothWith(observations);
    const text = await ours.metrics();
    expect(text).to.equal(await reference.metrics());
    expect(text).to.match(/rxkafka_request_duration_seconds_count\{source="client",outcome="answered"\} 4\n/);
    expect(text).to.match(
      /rxkafka_request_duration_seconds_bucket\{le="0.001",source="client",outcome="answered"\} 2\n/,
    );
  });

  it('gives the same JSON as prom-client’s Histogram', async () => {
    const { reference, ours } = bothWith(observations);
    expect(await ours.getMetricsAsJSON()).to.deep.equal(await reference.getMetricsAsJSON());
  });

  it('has no series before the first observation, and none after a reset', async () => {
    const { reference, ours, histogram } = bothWith([]);
    expect(await ours.metrics()).to.equal(await reference.metrics());
    histogram.observe('client', 'answered', 0.01);
    ours.resetMetrics();
    expect(await ours.metrics()).not.to.include('source="client"');
  });
});
