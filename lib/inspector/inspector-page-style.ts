/** The inspector page's styles: plain CSS, inline in the page (no network). */
export const PAGE_STYLE = `
:root { --ink:#1d2433; --muted:#5b6474; --line:#d9dee8; --accent:#2f6fed; --ok:#1f9d55; --warn:#c77700; --bad:#d64545; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:var(--ink); background:#f6f7fb; }
header { display:flex; align-items:center; gap:12px; padding:10px 18px; background:#1d2433; color:#fff; }
header h1 { font-size:16px; margin:0; font-weight:600; }
.badge { padding:2px 8px; border-radius:10px; background:#3a4256; font-size:12px; }
.badge.up { background:var(--ok); } .badge.down { background:var(--bad); } .badge.replay { background:var(--warn); }
#counts { color:#c9cfdb; font-size:12px; margin-left:auto; }
#commands { font-size:12px; color:#c9cfdb; } #token { width:170px; font-size:12px; }
#command-status.refused { color:#ffb4b4; } #command-status.accepted { color:#9be3b5; }
.partitions button, .source-commands button { font-size:11px; padding:0 6px; cursor:pointer; }
.source-commands { margin-left:auto; display:flex; gap:4px; }
#log tr.command td { color:var(--accent); } #log tr.command.refused td { color:var(--bad); }
#timeline { display:flex; align-items:center; gap:12px; padding:8px 18px; background:#fff; border-bottom:1px solid var(--line); }
#scrub { flex:1; }
#moment { min-width:280px; color:var(--muted); font-variant-numeric:tabular-nums; }
/* The log beside the charts on a wide screen, below them on a narrower one: never pushed off-screen. */
main { display:grid; grid-template-columns: minmax(0,1fr) 500px; gap:14px; padding:14px 18px; align-items:start; }
@media (max-width: 1180px) { main { grid-template-columns: minmax(0,1fr); } aside { position:static; max-height:70vh; } }
/* A fleet's processes side by side, as many a row as the column holds (a card wide enough for its partition table). */
#members { display:grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 400px), 1fr)); gap:14px; align-items:start; }
#members:has(> .member:only-child) { grid-template-columns: minmax(0,1fr); }
#members:has(> .member:only-child) .sources { grid-template-columns: repeat(auto-fill, minmax(min(100%, 460px), 1fr)); }
.member { min-width:0; }
.member .sources { grid-template-columns: minmax(0,1fr); }
/* A long topic name breaks rather than push a narrow card (a fleet's, side by side) wider than its column. */
table.partitions td:first-child { overflow-wrap:anywhere; min-width:9em; }
.member > h2 { font-size:13px; color:var(--muted); margin:0 0 6px; font-weight:600; }
.sources { display:grid; gap:12px; }
.source { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; min-width:0; overflow-x:auto; }
.source h3 { margin:0 0 4px; font-size:14px; display:flex; gap:8px; align-items:baseline; flex-wrap:wrap; }
.source h3 .state { font-size:12px; padding:1px 8px; border-radius:10px; background:#e8eefc; color:var(--accent); }
.source h3 .state.failed { background:#fde8e8; color:var(--bad); }
.source h3 .state.rebalancing, .source h3 .state.reconnecting, .source h3 .state.draining { background:#fff3dc; color:var(--warn); }
.source .meta { color:var(--muted); font-size:12px; margin-bottom:6px; }
/* Charts at their natural size (a state's label 13 px); a chart wider than its column scrolls in it. */
.chart, .chart-scroll { overflow-x:auto; }
.chart svg, .chart-scroll svg { display:block; max-width:none; }
.chart g.edge > text, .chart-scroll g.edge > text { display:none; }
.chart g.edge:hover > text, .chart g.edge.last > text, .chart-scroll g.edge:hover > text, .chart-scroll g.edge.last > text { display:inline; }
.chart g.edge:hover path, .chart-scroll g.edge:hover path { stroke:#5b6474 !important; }
.full-chart summary { cursor:pointer; color:var(--accent); font-size:12px; margin:2px 0 4px; }
.chart g.node.current > path, .chart g.node.current > polygon { fill:#2f6fed !important; stroke:#1b4fb8 !important; }
.chart g.node.current > text { fill:#fff !important; font-weight:bold; }
.chart g.cluster.current > path, .chart g.cluster.current > polygon { stroke:#2f6fed !important; stroke-width:2; fill:#eef3ff !important; }
/* Graphviz wraps an arrow's path and head in a link (its tooltip): matched at any depth. */
.chart g.edge.last path, .chart-scroll g.edge.last path { stroke:#d64545 !important; stroke-width:3.5; }
.chart g.edge.last polygon, .chart-scroll g.edge.last polygon { fill:#d64545 !important; stroke:#d64545 !important; stroke-width:2; }
/* Graphviz made room for each label by Helvetica's widths: a font of the same widths (no bolder) stays inside it. */
.chart text, .chart-scroll g.graph > g text { font-family:Helvetica, Arial, "Liberation Sans", "DejaVu Sans Condensed", sans-serif; }
.chart g.edge.last > text, .chart-scroll g.edge.last > text { fill:#d64545 !important; paint-order:stroke; stroke:#fff; stroke-width:3px; }
#fleet-chart { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin-bottom:14px; }
#fleet-chart h2 { font-size:14px; margin:0 0 2px; } #fleet-chart h2 .count { color:var(--muted); font-weight:normal; }
#fleet-chart .hint { margin:0 0 6px; color:var(--muted); font-size:12px; }
#fleet-chart g.node.current > path, #fleet-chart g.node.current > polygon { fill:#e8eefc !important; stroke:#2f6fed !important; stroke-width:2; }
#fleet-chart g.cluster.current > path { stroke:#2f6fed !important; stroke-width:2; }
.markers g.marker { cursor:pointer; }
.markers circle { fill:#1d2433; stroke:#fff; stroke-width:1.5; }
.markers text { fill:#fff; font:bold 11px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
.marker { display:inline-block; min-width:18px; height:18px; padding:0 4px; border-radius:9px; background:#1d2433; color:#fff; font-size:11px; font-weight:bold; line-height:18px; text-align:center; }
.marker-legend { list-style:none; margin:8px 0 0; padding:0; display:grid; grid-template-columns:repeat(auto-fill, minmax(min(100%, 300px), 1fr)); gap:4px 14px; font-size:12px; }
.marker-legend li { display:flex; flex-wrap:wrap; gap:2px 6px; align-items:baseline; min-width:0; }
.marker-legend .who { border:0; background:none; padding:0; font:inherit; font-weight:600; color:var(--accent); cursor:pointer; }
.marker-legend .state { color:var(--ink); } .marker-legend .edge { color:var(--muted); flex-basis:100%; padding-left:24px; }
.last-edge { font-size:12px; color:var(--bad); margin:2px 0 6px; min-height:16px; }
table { width:100%; border-collapse:collapse; font-size:12px; font-variant-numeric:tabular-nums; }
th { text-align:left; color:var(--muted); font-weight:600; border-bottom:1px solid var(--line); padding:3px 4px; }
td { border-bottom:1px solid #eef0f5; padding:3px 4px; vertical-align:top; }
#ownership { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin-bottom:14px; }
#ownership h2 { font-size:14px; margin:0 0 6px; }
#ownership tr.shared td { background:#fff3dc; }
#ownership h2 + div { margin-top:4px; }
#timeline-chart svg { width:100%; height:auto; display:block; cursor:crosshair; }
#timeline-chart text { font-size:11px; fill:var(--ink); }
#timeline-legend { display:flex; flex-wrap:wrap; gap:10px; font-size:11px; color:var(--muted); margin-top:4px; }
#timeline-legend .swatch { display:inline-block; width:12px; height:10px; margin-right:4px; vertical-align:-1px; border:1px solid #0002; }
/* Fixed columns: the log fits its column whatever it holds; a long event name breaks, Kafka facts keep the most room. */
#log { table-layout:fixed; }
#log th:nth-child(1), #log td:nth-child(1) { white-space:nowrap; width:84px; }
#log th:nth-child(2) { width:16%; } #log th:nth-child(3) { width:26%; } #log th:nth-child(4) { width:20%; }
#log td { overflow-wrap:anywhere; }
#log td:nth-child(5) { color:var(--muted); }
#log tbody tr { cursor:pointer; }
.pstate { padding:0 6px; border-radius:8px; background:#eef0f5; }
.pstate.processing { background:#e8eefc; color:var(--accent); } .pstate.revoking { background:#fff3dc; color:var(--warn); }
.pstate.paused { background:#fde8e8; color:var(--bad); }
.pstate.releasing { background:#f1e8fb; color:#7a3fc2; }
.requests { margin-top:6px; font-size:12px; color:var(--muted); }
table.retries { margin-top:8px; }
table.retries caption { text-align:left; font-weight:600; font-size:12px; padding:2px 4px; }
table.retries tr.retry-topic td:first-child { padding-left:14px; color:var(--muted); }
table.retries td.due { white-space:nowrap; }
aside { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; position:sticky; top:8px; max-height:calc(100vh - 16px); overflow:auto; min-width:0; }
aside h2 { font-size:14px; margin:0 0 6px; }
#log tr.future { opacity:0.35; }
#log tr.at { background:#fff7e0; }
.empty { color:var(--muted); font-style:italic; }
#handlers { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin-bottom:14px; }
#handlers h2 { font-size:14px; margin:0 0 6px; } #handlers table { border-collapse:collapse; margin-bottom:8px; } #handlers td, #handlers th { padding:2px 8px; font-size:12px; text-align:left; }
#keys tr.waiting td { color:var(--warn); }
#stuck { background:#fff7e0; border:1px solid #f0d9a8; border-radius:6px; padding:6px 12px; margin-bottom:12px; }
#stuck h2 { font-size:14px; margin:0 0 4px; color:var(--warn); }
#stuck ul { margin:0; padding-left:18px; } #stuck li { font-family:ui-monospace, Menlo, monospace; font-size:12px; } #stuck li button { margin-left:8px; }
`;
