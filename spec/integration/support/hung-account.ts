/**
 * The stuck specs' scene: three account records on one partition, a handler that hangs on the first, and a
 * wait until `explainStuck` names it. Looked at a minute ahead, so everything that stood still since now is
 * past the 30 s threshold without waiting for it.
 */
import {
  explainStuck,
  type InspectedObject,
  type NamedSource,
  type StuckExplanation,
  type StuckWatch,
} from '../../../lib/inspector';
import { eventually } from '../../reliability/support/eventually';
import { produceRecords } from '../../support/kafka-fixtures';

export const ACCOUNTS = ['acct-1', 'acct-42', 'acct-7'] as const;

/** One record per account, keyed and valued by it, in this order. */
export async function produceAccounts(topic: string): Promise<void> {
  await produceRecords(
    topic,
    ACCOUNTS.map((account) => ({ key: account, value: JSON.stringify({ account }) })),
  );
}

/** What `explainStuck` says of `sources` a minute from now. */
export function explainAMinuteLater(
  sources: ReadonlyArray<InspectedObject | NamedSource>,
  watch: StuckWatch,
): StuckExplanation[] {
  return explainStuck(sources, { watch, now: () => Date.now() + 60_500 });
}

/** What `explainStuck` says of `sources` once it names a running (hanging) handler. */
export async function explainedHangingHandler(
  sources: ReadonlyArray<InspectedObject | NamedSource>,
  watch: StuckWatch,
): Promise<StuckExplanation[]> {
  let explained: StuckExplanation[] = [];
  await eventually(
    () => {
      explained = explainAMinuteLater(sources, watch);
      return explained[0]?.reason.kind === 'handler-running';
    },
    'the hanging handler',
    30_000,
    () => JSON.stringify(explained),
  );
  return explained;
}
