import { Controller, EventPattern, Payload } from '../../../lib';
import type { NumberedEvent } from './event-stream';
import type { Tally } from './tally';

/** A controller whose one event handler counts the ids it sees on `topic` (built per spec for a unique topic). */
export function createCountingController(topic: string, handled: Tally) {
  @Controller()
  class CountingController {
    @EventPattern(topic)
    count(@Payload() event: NumberedEvent): void {
      handled.add(event.id);
    }
  }
  return CountingController;
}
