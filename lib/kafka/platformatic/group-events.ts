import type { DriverConsumerEvent } from '../kafka-driver';

/** @platformatic/kafka's `consumer:group:join` payload. */
export interface GroupJoinPayload {
  readonly memberId: string;
  readonly generationId?: number;
  readonly assignments?: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>;
}

/** A join as the port's event: the whole assignment by topic, with the generation it knows at once. */
export function toGroupJoinedEvent(payload: GroupJoinPayload): DriverConsumerEvent {
  const assignment: Record<string, number[]> = {};
  for (const { topic, partitions } of payload.assignments ?? []) {
    assignment[topic] = [...(assignment[topic] ?? []), ...partitions].sort((a, b) => a - b);
  }
  return {
    type: 'group.joined',
    memberId: payload.memberId,
    ...(payload.generationId === undefined ? {} : { generationId: payload.generationId }),
    assignment,
  };
}
