/**
 * The handlers the bad-input spec aims hostile records at: they describe what they received, or misbehave
 * on request (throw, reject, never settle, error as an Observable, answer too big).
 */
import { throwError, type Observable } from 'rxjs';
import { Controller, EventPattern, MessagePattern, Payload, RpcException } from '../../../lib';

/** What a handler saw, as the probe handlers reply it: enough to tell every decoding apart. */
export type Seen =
  | { kind: 'buffer'; hex: string }
  | { kind: 'string'; text: string }
  | { kind: 'object'; keys: string[]; ownProtoKey: boolean; prototypePolluted: boolean }
  | { kind: 'other'; text: string };

/** Describes a handler's payload: its type and the parts that tell decodings apart. */
export function describeSeen(data: unknown): Seen {
  if (Buffer.isBuffer(data)) return { kind: 'buffer', hex: data.toString('hex') };
  if (typeof data === 'string') return { kind: 'string', text: data };
  if (typeof data === 'object' && data !== null) {
    return {
      kind: 'object',
      keys: Object.keys(data),
      ownProtoKey: Object.prototype.hasOwnProperty.call(data, '__proto__'),
      prototypePolluted: 'polluted' in {},
    };
  }
  return { kind: 'other', text: String(data) };
}

/** The misbehaviour a payload asks the probe handlers for, if any. */
function readAct(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || !('act' in data)) return undefined;
  return String((data as { act: unknown }).act);
}

/** Runs what the payload asks for: fail in one of four ways, answer too big, or describe what arrived. */
function actOn(data: unknown): unknown {
  switch (readAct(data)) {
    case 'throw':
      throw new Error('the database password is hunter2');
    case 'reject':
      return Promise.reject(new RpcException('rejected on purpose'));
    case 'hang':
      return new Promise<never>(() => undefined);
    case 'error$':
      return throwError(() => new RpcException({ code: 'E_OBSERVABLE' })) as Observable<never>;
    case 'huge-reply':
      return 'x'.repeat(1_200_000);
    default:
      return describeSeen(data);
  }
}

/**
 * A controller with a request handler on `<prefix>.req` (records what it received in `seenRequests`), one
 * on `<prefix>.pair` and an event handler on `<prefix>.evt` (in `seenEvents`, dead-lettered on failure).
 * Built per run so that its topics are unique to it.
 */
export function createProbeController(prefix: string, seenRequests: unknown[], seenEvents: unknown[]) {
  @Controller()
  class ProbeController {
    @MessagePattern(`${prefix}.req`)
    request(@Payload() data: unknown): unknown {
      seenRequests.push(data);
      return actOn(data);
    }

    @MessagePattern(`${prefix}.pair`)
    pair(@Payload() data: unknown): unknown {
      return describeSeen(data);
    }

    @EventPattern(`${prefix}.evt`, { deadLetter: true })
    event(@Payload() data: unknown): unknown {
      seenEvents.push(data);
      return actOn(data);
    }
  }
  return ProbeController;
}
