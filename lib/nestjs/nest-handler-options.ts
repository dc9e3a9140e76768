import type { MessageHandler } from '@nestjs/microservices';
import type { HandlerOptions } from '../handlers/handler-options';
import { DEFAULT_RETRY_POLICY } from '../handlers/retry-policy';
import type { RetryTopicsOptions } from '../handlers/retry-topics-options';
import {
  checkDuration,
  checkKnownKeys,
  checkObject,
  checkPositiveInteger,
  failOption,
} from '../options/option-checks';

/**
 * rxkafka's per-handler settings of a NestJS handler, from its decorator's extras:
 * `@EventPattern(topic, { retry: { attempts: 5 }, deadLetter: true })`. Other extras keys are Nest's or
 * the app's and are left alone.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the handler and the extras key.
 */
export function toNestHandlerOptions(pattern: string, handler: MessageHandler): HandlerOptions {
  const extras: Record<string, unknown> | undefined = handler.extras;
  if (!extras) return {};
  const path = `@${handler.isEventHandler ? 'EventPattern' : 'MessagePattern'}(${pattern}) extras`;
  const { retry, deadLetter, retryTopics } = extras;
  // Its fields are checked at listen(), with the decorators' own (see RetryTopicRoutes).
  checkObject(`${path}.retryTopics`, retryTopics);
  checkObject(`${path}.retry`, retry);
  if (retry !== undefined) {
    const policy = retry as Record<string, unknown>;
    checkKnownKeys(`${path}.retry`, policy, Object.keys(DEFAULT_RETRY_POLICY));
    checkPositiveInteger(`${path}.retry.attempts`, policy.attempts, DEFAULT_RETRY_POLICY.attempts);
    checkDuration(`${path}.retry.backoffMs`, policy.backoffMs, 'retrying at once');
    checkDuration(`${path}.retry.maxBackoffMs`, policy.maxBackoffMs, 'retrying at once');
  }
  if (deadLetter !== undefined && typeof deadLetter !== 'boolean' && typeof deadLetter !== 'string') {
    failOption(
      `${path}.deadLetter`,
      'true, false or a topic name',
      deadLetter,
      "e.g. { deadLetter: true } for '<topic>.dlt'",
    );
  }
  if (!handler.isEventHandler && deadLetter !== undefined && deadLetter !== false) {
    // Requests are never dead-lettered: the caller gets an error reply and decides.
    failOption(
      `${path}.deadLetter`,
      'left out of a @MessagePattern (dead letters are for @EventPattern handlers)',
      deadLetter,
      'a request that fails for good gets an error reply instead: remove deadLetter',
    );
  }
  return Object.freeze({
    ...(retry === undefined ? {} : { retry: Object.freeze({ ...(retry as HandlerOptions['retry']) }) }),
    ...(deadLetter === undefined ? {} : { deadLetter: deadLetter as boolean | string }),
    ...(retryTopics === undefined ? {} : { retryTopics: retryTopics as RetryTopicsOptions }),
  });
}
