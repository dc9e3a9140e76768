/**
 * Writes the process's handler and key views into the inspector's history once a second, when they
 * changed, so the page's time travel shows them as they stood at any entry.
 */
import type { ActorHistory } from './actor-history';
import type { HandlerWatch } from './handler-watch';
import { viewHandlers, type HandlerViews, type ViewHandlersOptions } from './view-handlers';

const VIEWS_EVERY_MS = 1_000;

/** Starts recording; returns the function that stops it. */
export function recordViews(
  history: ActorHistory,
  member: string,
  watch: HandlerWatch,
  options: ViewHandlersOptions,
): () => void {
  let last = '';
  const record = (): void => {
    const views = viewHandlers(watch, options);
    const figures = JSON.stringify(withoutTime(views));
    if (figures === last) return;
    last = figures;
    history.add({ kind: 'views', at: views.at, member, source: 'handlers', views });
  };
  const timer = setInterval(record, VIEWS_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function withoutTime({ at: _at, ...figures }: HandlerViews): Omit<HandlerViews, 'at'> {
  return figures;
}
