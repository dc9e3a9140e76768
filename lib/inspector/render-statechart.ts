/**
 * Draws a statechart as SVG with Graphviz (`@viz-js/viz`: Graphviz compiled to WebAssembly, inlined in the
 * package, no network), once per process: the page highlights states in it by their ids.
 */
import type { AnyStateMachine } from 'xstate';
import type { ChartEdge } from '../connection/inspection';
import { toStatechartDot } from './statechart-dot';

type Viz = { renderString(dot: string, options: { format: 'svg'; engine: 'dot' }): string };

let viz: Promise<Viz> | undefined;

/** The SVG of `machine`'s chart with `edges` as its arrows (no XML prolog: it goes inside a page). */
export async function renderStatechartSvg(
  machine: AnyStateMachine,
  edges: readonly ChartEdge[],
): Promise<string> {
  viz ??= import('@viz-js/viz').then((module) => module.instance() as Promise<Viz>);
  const svg = (await viz).renderString(toStatechartDot(machine, edges), { format: 'svg', engine: 'dot' });
  return drawnOneUnitAPixel(svg.slice(svg.indexOf('<svg')));
}

/**
 * Graphviz sizes its SVG in points (4/3 of a pixel); sized in pixels instead, a 13-unit label is 13 px on the
 * page at its natural size, whatever the window (the page scrolls a chart wider than its column).
 */
function drawnOneUnitAPixel(svg: string): string {
  return svg.replace(/^<svg width="([\d.]+)pt" height="([\d.]+)pt"/, '<svg width="$1" height="$2"');
}
