/**
 * The bits of a Kafka record batch's `attributes` that say what kind of batch it is, as the v2 record
 * batch format lays them out (Kafka's `DefaultRecordBatch`).
 */

/** A batch a transactional producer wrote: its records count once their transaction commits. */
export const TRANSACTIONAL_BATCH = 1 << 4;

/** A control batch: a transaction's commit or abort marker, never a record to hand over. */
export const CONTROL_BATCH = 1 << 5;
