/**
 * The micro-benchmark behind `toEncodableMessage` (lib/connection/encodable-message.ts): kafkajs's produce
 * encoder copies every record as `{ ...message, offsetDelta, timestampDelta }`. Run it with
 * `npx ts-node bench/spread-copy.ts`; it prints nanoseconds per copy for a record as callers build it and
 * for one that already has both keys, as the produce queue hands it over.
 */
const COPIES = 500_000;
const ROUNDS = 5;

type Record = { [key: string]: unknown };

function asBuilt(index: number): Record {
  return { value: String(index), headers: { kafka_correlationId: 'id' }, partition: 0 };
}

function withDeltaKeys(index: number): Record {
  return {
    key: undefined,
    value: String(index),
    headers: { kafka_correlationId: 'id' },
    partition: 0,
    timestamp: undefined,
    offsetDelta: 0,
    timestampDelta: 0,
  };
}

/** Median nanoseconds per `{ ...record, offsetDelta, timestampDelta }` over ROUNDS rounds. */
function measure(create: (index: number) => Record): number {
  const perCopy: number[] = [];
  let sink: unknown;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < COPIES; index++) {
      sink = { ...create(index), offsetDelta: index, timestampDelta: 0 };
    }
    perCopy.push(Number(process.hrtime.bigint() - started) / COPIES);
  }
  void sink;
  return perCopy.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

const slow = measure(asBuilt);
const fast = measure(withDeltaKeys);
console.log(`record as built:            ${slow.toFixed(0)} ns per copy`);
console.log(`record with both keys:      ${fast.toFixed(0)} ns per copy`);
console.log(`ratio:                      ${(slow / fast).toFixed(0)}×`);
