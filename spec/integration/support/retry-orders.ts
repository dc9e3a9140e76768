/**
 * The orders the retry-topic specs send through a server's handler and a `consume()` stream alike: which of
 * them fail, how, and for how long.
 */

/**
 * `fine` succeeds at once; `flaky2` and `flaky3` fail until their 2nd or 3rd run; `poison` always fails with
 * a retried error; `permanent` fails with an error that is not retried.
 */
export type Kind = 'fine' | 'flaky2' | 'flaky3' | 'poison' | 'permanent';

export interface Order {
  readonly id: string;
  readonly kind: Kind;
}

/** An error with a code, as a driver or a database client throws. */
export class PaymentDownError extends Error {
  readonly code = 'E_PAYMENT_DOWN';
  constructor() {
    super('the payment service is down');
    this.name = 'PaymentDownError';
  }
}

/**
 * The kind of the order sent `index`-th. Of every 100: 10 transient failures (5 succeed on the 2nd run, 5 on
 * the 3rd) and 1 poison; of every 200, 1 permanent; the rest fine.
 */
export function kindOf(index: number): Kind {
  if (index % 100 === 7) return 'poison';
  if (index % 200 === 31) return 'permanent';
  if (index % 20 === 3) return 'flaky3';
  if (index % 20 === 13) return 'flaky2';
  return 'fine';
}
