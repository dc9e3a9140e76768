import { randomBytes } from 'node:crypto';

/** Length of a NestJS correlation id (`randomStringGenerator()` = `uid(21)` in @nestjs/common). */
const ID_LENGTH = 21;
const IDS_PER_POOL = 512;

// One crypto draw serves IDS_PER_POOL ids: a randomBytes call per request would dominate the hot path.
let pool = '';
let offset = 0;

/**
 * Creates a request correlation id in NestJS's format: 21 lowercase hex characters (84 random bits from
 * `crypto.randomBytes`). Ids never overlap one another and never start with `{`, `[` or a 0x00 byte, so
 * the receiving parser leaves them as text.
 */
export function createCorrelationId(): string {
  if (offset + ID_LENGTH > pool.length) {
    pool = randomBytes((ID_LENGTH * IDS_PER_POOL) / 2).toString('hex');
    offset = 0;
  }
  const id = pool.slice(offset, offset + ID_LENGTH);
  offset += ID_LENGTH;
  return id;
}
