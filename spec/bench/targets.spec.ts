import { expect } from 'chai';
import type { ImplementationSummary } from '../../bench/summarize-runs';
import { summaryRow as row } from '../support/summary-row';
import {
  evaluateInspectorCost,
  evaluateRetryTopicsCost,
  evaluateTarget,
  evaluateTracingCost,
} from '../../bench/targets';

describe('bench targets', () => {
  describe('evaluateRetryTopicsCost()', () => {
    it('meets the target at 0.95× rxkafka without retry topics, on the retry-topics row', () => {
      const verdict = evaluateRetryTopicsCost('a', [
        row('a', 'rxkafka', [100_000, 100_000, 100_000]),
        row('a', 'rxkafka-retry-topics', [95_000, 96_000, 94_000], { cpuS: { consumer: 1.002 } }),
      ]);
      expect(verdict).to.include({ scenario: 'a', implementation: 'rxkafka-retry-topics', met: true });
      expect(verdict?.detail).to.equal(
        "0.95× rxkafka's msgs/s (repetitions 0.95×, 0.96×, 0.94×); CPU +2.0 µs/record",
      );
    });

    it('misses it below 0.95×', () => {
      const verdict = evaluateRetryTopicsCost('a', [
        row('a', 'rxkafka', [100_000]),
        row('a', 'rxkafka-retry-topics', [94_000]),
      ]);
      expect(verdict?.met).to.equal(false);
    });

    it('has no verdict (n/a) when rxkafka without retry topics did not run', () => {
      const verdict = evaluateRetryTopicsCost('a', [row('a', 'rxkafka-retry-topics', [94_000])]);
      expect(verdict?.met).to.equal(undefined);
      expect(verdict?.detail).to.equal("n/a rxkafka's msgs/s; CPU n/a");
    });

    it('is left out when (a) ran without retry topics, and in every other scenario', () => {
      expect(evaluateRetryTopicsCost('a', [row('a', 'rxkafka', [100_000])])).to.equal(undefined);
      expect(
        evaluateRetryTopicsCost('r', [
          row('r', 'rxkafka-retry-topics', [40_000]),
          row('r', 'rxkafka-retry-in-place', [5_000]),
        ]),
      ).to.equal(undefined);
    });
  });

  describe('evaluateTracingCost()', () => {
    it("meets the target when rxkafka's tracing costs no more CPU per record than the instrumentation", () => {
      const verdict = evaluateTracingCost('d', [
        row('d', 'rxkafka', [20_000]),
        row('d', 'rxkafka-otel', [10_000], { cpuS: { server: 0.6, client: 0.45 } }),
        row('d', 'kafkajs', [20_000]),
        row('d', 'kafkajs-otel', [8_000], { cpuS: { server: 0.7, client: 0.5 } }),
      ]);
      expect(verdict).to.include({ scenario: 'd', implementation: 'rxkafka-otel', met: true });
      expect(verdict?.detail).to.equal(
        'rxkafka +50.0 µs/record, kafkajs +200.0 µs/record; traced, rxkafka does 1.25× traced kafkajs msgs/s',
      );
    });

    it('signs a figure that came out below the untraced one (noise) with a minus, not "+-"', () => {
      const verdict = evaluateTracingCost('a', [
        row('a', 'rxkafka', [100_000]),
        row('a', 'rxkafka-otel', [90_000], { cpuS: { consumer: 0.999 } }),
        row('a', 'kafkajs', [100_000]),
        row('a', 'kafkajs-otel', [60_000], { cpuS: { consumer: 1.01 } }),
      ]);
      expect(verdict?.met).to.equal(true);
      expect(verdict?.detail).to.match(/^rxkafka -1\.0 µs\/record, kafkajs \+10\.0 µs\/record;/);
    });

    it('misses it when rxkafka costs more, and has no verdict when a side did not run', () => {
      const rxkafka = [row('d', 'rxkafka', [20_000]), row('d', 'rxkafka-otel', [9_000], { cpuS: { c: 2 } })];
      const kafkajs = [
        row('d', 'kafkajs', [20_000]),
        row('d', 'kafkajs-otel', [9_000], { cpuS: { c: 1.5 } }),
      ];
      expect(evaluateTracingCost('d', [...rxkafka, ...kafkajs])?.met).to.equal(false);
      expect(evaluateTracingCost('d', rxkafka)?.met).to.equal(undefined);
      expect(evaluateTracingCost('d', [row('d', 'rxkafka', [20_000])])).to.equal(undefined);
    });
  });

  describe('evaluateInspectorCost()', () => {
    for (const scenario of ['a', 'd'] as const) {
      it(`meets the target in (${scenario}) at 0.9× rxkafka without the inspector, on the inspector's row`, () => {
        const verdict = evaluateInspectorCost(scenario, [
          row(scenario, 'rxkafka', [100_000, 100_000, 100_000]),
          row(scenario, 'rxkafka-inspector', [90_000, 95_000, 88_000], { cpuS: { consumer: 1.005 } }),
        ]);
        expect(verdict).to.include({ scenario, implementation: 'rxkafka-inspector', met: true });
        expect(verdict?.target).to.equal('inspector attached ≥0.9× without');
        expect(verdict?.detail).to.equal(
          "0.90× rxkafka's msgs/s (repetitions 0.90×, 0.95×, 0.88×); CPU +5.0 µs/record",
        );
      });
    }

    it('misses it below 0.9×', () => {
      const verdict = evaluateInspectorCost('d', [
        row('d', 'rxkafka', [20_000]),
        row('d', 'rxkafka-inspector', [17_000]),
      ]);
      expect(verdict?.met).to.equal(false);
      expect(verdict?.detail).to.equal("0.85× rxkafka's msgs/s (repetitions 0.85×); CPU +0.0 µs/record");
    });

    it('has no verdict (n/a) when rxkafka without the inspector did not run', () => {
      const verdict = evaluateInspectorCost('a', [row('a', 'rxkafka-inspector', [90_000])]);
      expect(verdict?.met).to.equal(undefined);
      expect(verdict?.detail).to.equal("n/a rxkafka's msgs/s; CPU n/a");
    });

    it('is left out when the scenario ran without the inspector, and outside (a) and (d)', () => {
      expect(evaluateInspectorCost('a', [row('a', 'rxkafka', [100_000])])).to.equal(undefined);
      expect(
        evaluateInspectorCost('c', [row('c', 'rxkafka', [500]), row('c', 'rxkafka-inspector', [400])]),
      ).to.equal(undefined);
    });
  });

  describe("evaluateTarget('r')", () => {
    it('reports the healthy rates and the times until every event was done side by side, with no verdict', () => {
      const retries = (allDoneMs: number) => ({ healthyCount: 990, failedOnceCount: 10, allDoneMs });
      const verdict = evaluateTarget('r', [
        row('r', 'rxkafka-retry-topics', [40_000], { retries: retries(3_200) }),
        row('r', 'rxkafka-retry-in-place', [5_000], { retries: retries(11_400) }),
      ]);
      expect(verdict).to.include({ scenario: 'r', met: undefined });
      expect(verdict.detail).to.equal(
        'healthy events (990) 40,000/s vs 5,000/s (8.00×); every event done after 3.2 s vs 11.4 s',
      );
    });

    it('says n/a for a side that did not run', () => {
      const verdict = evaluateTarget('r', [
        row('r', 'rxkafka-retry-topics', [40_000], {
          retries: { healthyCount: 990, failedOnceCount: 10, allDoneMs: 3_200 },
        }),
      ]);
      expect(verdict.detail).to.equal(
        'healthy events (990) 40,000/s vs n/a (n/a); every event done after 3.2 s vs n/a',
      );
    });
  });
});

describe("evaluateTarget('q')", () => {
  const latency = (p99Ms: number) => ({
    count: 100,
    p50Ms: 10,
    p90Ms: 20,
    p99Ms,
    maxMs: p99Ms + 1,
    meanMs: 12,
  });
  const rebalanced = (implementation: ImplementationSummary['implementation'], p99Ms: number) => ({
    ...row('q', implementation, [500]),
    rebalance: { changeMs: 2_000, during: latency(p99Ms), steady: latency(20) },
  });

  it("is met on rxkafka-platformatic's row when its p99 during the change is at most half kafkajs's", () => {
    const verdict = evaluateTarget('q', [
      rebalanced('rxkafka', 400),
      rebalanced('rxkafka-platformatic', 200),
    ]);
    expect(verdict).to.include({ implementation: 'rxkafka-platformatic', met: true });
    expect(verdict.detail).to.equal(
      'p99 200.0 vs 400.0 ms, max 201.0 vs 401.0 ms; handled on unmoved partitions, join n/a vs n/a, leave n/a vs n/a',
    );
  });

  it('says how many requests were handled on the partitions that kept their owner, per change', () => {
    const change = (handledOnUnmoved: number) => ({
      windowMs: 1_500,
      unmovedPartitions: 8,
      handledOnUnmoved,
    });
    const withChanges = (
      implementation: ImplementationSummary['implementation'],
      join: number,
      leave: number,
    ) => {
      const summary = rebalanced(implementation, 300);
      return { ...summary, rebalance: { ...summary.rebalance, join: change(join), leave: change(leave) } };
    };
    const verdict = evaluateTarget('q', [
      withChanges('rxkafka', 0, 3),
      withChanges('rxkafka-platformatic', 412, 980),
    ]);
    expect(verdict.detail).to.equal(
      'p99 300.0 vs 300.0 ms, max 301.0 vs 301.0 ms; handled on unmoved partitions, join 412 vs 0, leave 980 vs 3',
    );
  });

  it('is not met above half, and n/a when a side did not run', () => {
    expect(
      evaluateTarget('q', [rebalanced('rxkafka', 400), rebalanced('rxkafka-platformatic', 201)]).met,
    ).to.equal(false);
    expect(evaluateTarget('q', [rebalanced('rxkafka-platformatic', 200)]).met).to.equal(undefined);
  });
});
