/**
 * rxkafka/inspector: a live, offline view of every connection and partition actor, with a scrubbable
 * history, recordings, and health and metrics endpoints derived from the same actors.
 */
export { startInspector, readRecording } from './start-inspector';
export type { Inspector, InspectorOptions } from './start-inspector';
export type { InspectedObject, NamedSource } from './inspector-source';
export type {
  EdgeEntry,
  InspectorEntry,
  PartitionsEntry,
  RequestsEntry,
  SourceEntry,
} from './inspector-entry';
export { checkLiveness, checkReadiness, DEFAULT_STUCK_AFTER_MS } from './health';
export type { HealthOptions, HealthVerdict } from './health';
export { ActorHistory } from './actor-history';
export { publishInspection } from './fleet-topic';
export type { FleetTopic, InspectionPublisher, PublishInspectionOptions } from './fleet-topic';
export { relayToStately, STATELY_PROTOCOL_VERSION } from './stately-events';
export type { StatelyInspectionEvent } from './stately-events';
export { createHealthHandler } from './health-handler';
export { explainStuck, DEFAULT_STUCK_THRESHOLD_MS } from './explain-stuck';
export type { ExplainStuckOptions } from './explain-stuck';
export type { StuckExplanation, StuckReason } from './stuck-explanation';
export { StuckWatch } from './stuck-watch';
export type { StuckWatchOptions, WatchedRun } from './stuck-watch';
export type { HealthHandler, HealthHandlerOptions } from './health-handler';
export { HandlerWatch, DEFAULT_HANDLER_WINDOW_MS } from './handler-watch';
export type { HandlerWatchOptions } from './handler-watch';
export { viewHandlers } from './view-handlers';
export type {
  HandlerView,
  HandlerViews,
  KeyView,
  PartitionKeysView,
  ViewHandlersOptions,
} from './view-handlers';
