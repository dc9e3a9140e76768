/**
 * A machine definition as Graphviz DOT: compound states become clusters, every edge of the chart
 * (listChartEdges) an arrow labelled with its event (edges between the same two states share one). Node ids are the states' dotted paths, which the page
 * finds again in the SVG (`<g id="state:connecting.starting">`) to highlight the current state.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { ChartEdge } from '../connection/inspection';

/** The short label of an event on an arrow: xstate's own events by what they mean. */
export function edgeLabel(event: string): string {
  if (event.startsWith('xstate.done.actor.')) return `${event.slice('xstate.done.actor.'.length)} done`;
  if (event.startsWith('xstate.error.actor.')) return `${event.slice('xstate.error.actor.'.length)} failed`;
  if (event.startsWith('xstate.after.')) return `after ${event.split('.')[2]}`;
  return event.replace(/^kafka\.|^partition\./, '');
}

/** The DOT text of `machine`'s chart, with `edges` as its arrows. */
export function toStatechartDot(machine: AnyStateMachine, edges: readonly ChartEdge[]): string {
  const lines = [
    'digraph statechart {',
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.12, ranksep=0.3, compound=true, newrank=true];',
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#8a94a6", fontname="Helvetica", fontsize=13, margin="0.1,0.05"];',
    '  edge [color="#b4bccb", fontname="Helvetica", fontsize=11, fontcolor="#5b6474", arrowsize=0.6];',
  ];
  const leafOf = new Map<string, string>();
  const visit = (node: AnyStateNode, depth: number): void => {
    const indent = '  '.repeat(depth + 1);
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      const path = child.path.join('.');
      const children = Object.values(child.states) as AnyStateNode[];
      if (children.length === 0) {
        lines.push(`${indent}${quote(path)} [id=${quote(`state:${path}`)}, label=${quote(child.key)}];`);
        leafOf.set(path, path);
        continue;
      }
      lines.push(`${indent}subgraph ${quote(`cluster_${path}`)} {`);
      lines.push(
        `${indent}  id=${quote(`state:${path}`)}; label=${quote(child.key)}; style="rounded,filled"; ` +
          'fillcolor="#fbfcfe"; color="#8a94a6"; fontname="Helvetica"; fontsize=13;',
      );
      visit(child, depth + 1);
      lines.push(`${indent}}`);
      // An arrow to or from a compound state is drawn to its initial child, clipped at the cluster.
      const initial = child.initial?.target?.[0] as AnyStateNode | undefined;
      leafOf.set(path, leafOf.get((initial ?? children[0]).path.join('.')) ?? path);
    }
  };
  visit(machine.root, 0);
  // Edges between the same two states share one arrow, labelled with every event that takes it.
  const arrows = new Map<string, { from: string; to: string; edges: ChartEdge[] }>();
  for (const edge of edges) {
    const key = `${edge.from}|${edge.to}`;
    const arrow = arrows.get(key) ?? { from: edge.from, to: edge.to, edges: [] };
    arrow.edges.push(edge);
    arrows.set(key, arrow);
  }
  for (const arrow of arrows.values()) {
    const from = leafOf.get(arrow.from);
    const to = leafOf.get(arrow.to);
    if (!from || !to) continue;
    const label = [...new Set(arrow.edges.map((edge) => edgeLabel(edge.event)))].join('\n');
    const attributes = [
      `label=${quote(label)}`,
      `id=${quote(arrowId(arrow))}`,
      `tooltip=${quote(arrow.edges.map((edge) => edge.event).join(', '))}`,
    ];
    if (from !== arrow.from) attributes.push(`ltail=${quote(`cluster_${arrow.from}`)}`);
    if (to !== arrow.to && arrow.from !== arrow.to) attributes.push(`lhead=${quote(`cluster_${arrow.to}`)}`);
    lines.push(`  ${quote(from)} -> ${quote(to)} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** The id the SVG gives the arrow an edge is drawn on (`arrow:<from>|<to>`). */
export function arrowId(edge: Pick<ChartEdge, 'from' | 'to'>): string {
  return `arrow:${edge.from}|${edge.to}`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
