import { expect } from 'chai';
import { evaluatePlatformaticTarget } from '../../bench/platformatic-targets';
import { summaryRow as row } from '../support/summary-row';

describe('evaluatePlatformaticTarget()', () => {
  context('in (a)', () => {
    it('is met at 0.9× raw platformatic and 1.0× rxkafka on kafkajs, on its own row', () => {
      const verdict = evaluatePlatformaticTarget('a', [
        row('a', 'rxkafka-platformatic', [90_000, 91_000]),
        row('a', 'platformatic', [100_000, 100_000]),
        row('a', 'rxkafka', [90_000, 90_000]),
      ]);
      expect(verdict).to.include({ scenario: 'a', implementation: 'rxkafka-platformatic', met: true });
      expect(verdict?.target).to.equal('≥0.9× raw platformatic, ≥1.0× rxkafka on kafkajs');
      expect(verdict?.detail).to.equal(
        '0.91× raw platformatic (repetitions 0.90×, 0.91×); 1.01× rxkafka on kafkajs (repetitions 1.00×, 1.01×)',
      );
    });

    it('is not met when either share is missed', () => {
      const verdict = evaluatePlatformaticTarget('a', [
        row('a', 'rxkafka-platformatic', [95_000]),
        row('a', 'platformatic', [100_000]),
        row('a', 'rxkafka', [100_000]),
      ]);
      expect(verdict?.met).to.equal(false);
    });

    it('has no verdict (n/a) when a baseline did not run', () => {
      const verdict = evaluatePlatformaticTarget('a', [
        row('a', 'rxkafka-platformatic', [95_000]),
        row('a', 'rxkafka', [90_000]),
      ]);
      expect(verdict?.met).to.equal(undefined);
    });
  });

  it('compares (d) with rxkafka on kafkajs only, and (f) with raw platformatic only', () => {
    const d = evaluatePlatformaticTarget('d', [
      row('d', 'rxkafka-platformatic', [20_000]),
      row('d', 'platformatic', [40_000]),
      row('d', 'rxkafka', [19_000]),
    ]);
    expect(d).to.include({ met: true, target: '≥1.0× rxkafka on kafkajs' });
    const f = evaluatePlatformaticTarget('f', [
      row('f', 'rxkafka-platformatic', [80_000]),
      row('f', 'platformatic', [100_000]),
    ]);
    expect(f).to.include({ met: false, target: '≥0.9× raw platformatic' });
  });

  it('reports (i) against raw platformatic, neither met nor missed', () => {
    const verdict = evaluatePlatformaticTarget('i', [
      row('i', 'rxkafka-platformatic', [12_000]),
      row('i', 'platformatic', [10_000]),
      row('i', 'rxkafka', [9_000]),
    ]);
    expect(verdict).to.include({
      scenario: 'i',
      implementation: 'rxkafka-platformatic',
      met: undefined,
      target: 'report, vs raw platformatic',
      detail: '1.20× raw platformatic (repetitions 1.20×)',
    });
  });

  it('is left out without rxkafka-platformatic, and outside (a), (d), (f) and (i)', () => {
    expect(evaluatePlatformaticTarget('a', [row('a', 'rxkafka', [1])])).to.equal(undefined);
    expect(evaluatePlatformaticTarget('b', [row('b', 'rxkafka-platformatic', [1])])).to.equal(undefined);
  });
});
