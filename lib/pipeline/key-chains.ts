import type { FetchedRecord } from '../kafka/kafka-record';

/** A batch's records chained by key: where each key's chain starts, and each record's successor. */
export interface KeyChains {
  /** The index of each key's first record, in offset order. */
  readonly firsts: number[];
  /** Each record's next record of the same key, by index; -1 for a key's last. */
  readonly nextOfKey: Int32Array;
}

/**
 * Links each record to the next one of its key, so that each key's records run in one loop of their own
 * ('key' ordering) with no closure or promise chain per record. Keys compare by their bytes; records
 * without a key share one key.
 */
export function chainByKey(messages: readonly Pick<FetchedRecord, 'key'>[]): KeyChains {
  const firsts: number[] = [];
  const nextOfKey = new Int32Array(messages.length).fill(-1);
  const lastOfKey = new Map<string, number>();
  for (let index = 0; index < messages.length; index++) {
    const key = messages[index].key;
    const name = key ? key.toString('latin1') : '';
    const last = lastOfKey.get(name);
    if (last === undefined) firsts.push(index);
    else nextOfKey[last] = index;
    lastOfKey.set(name, index);
  }
  return { firsts, nextOfKey };
}
