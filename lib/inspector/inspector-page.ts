/**
 * The inspector's one page: self-contained HTML (styles, script and the chart's SVG inline; no CDN, no
 * network). The script keeps every entry the server streams (Server-Sent Events on /events), draws each
 * source's state from the entries up to the slider's position (a server's retry topics among it), and
 * follows the newest while "live". The connection machine is drawn once for the whole fleet, each source a
 * numbered marker on it; a source's own chart opens on demand. Live, it also shows what is stuck now, one line each, from /healthz's
 * `stuck` (not part of the history).
 */

import { buildOwnershipTimeline } from './ownership-timeline';
import { edgeLabel } from './statechart-dot';
import { PAGE_SCRIPT } from './inspector-page-script';
import { PAGE_STYLE } from './inspector-page-style';

/** The page, with `chartSvg` (the connection machine drawn by Graphviz) as the fleet's chart and each source's. */
export function renderInspectorPage({ chartSvg, title }: { chartSvg: string; title: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(title)}</h1>
  <span id="link" class="badge">connecting…</span>
  <span id="commands" hidden><input id="token" type="password" placeholder="command token" autocomplete="off" aria-label="command token"> <span id="command-status"></span></span>
  <span id="counts"></span>
</header>
<section id="timeline">
  <label><input type="checkbox" id="live" checked> live</label>
  <input type="range" id="scrub" min="0" max="0" value="0" step="1">
  <span id="moment">no events yet</span>
</section>
<main>
  <div>
    <section id="stuck" hidden><h2>Stuck now</h2><ul></ul></section>
    <section id="fleet-chart" hidden><h2>Connection machine <span class="count"></span></h2>
      <p class="hint">Each number is a source on its current state; red arrows are each one's last edge. A source's own chart: its number below, or "full chart" in its panel.</p>
      <div class="chart-scroll"></div><ol class="marker-legend"></ol></section>
    <section id="handlers"><h2>Handlers</h2><table><thead><tr><th>handler</th><th>runs</th><th>failed</th><th>retries</th><th>dead letters</th><th>p50</th><th>p99</th></tr></thead><tbody></tbody></table>
      <h2>Keys waiting and running</h2><table id="keys"><thead><tr><th>partition</th><th></th><th>key</th><th>offset</th><th>records</th><th>for</th><th>handler</th></tr></thead><tbody></tbody></table></section>
    <section id="ownership"><h2>Partition ownership</h2><table><thead><tr><th>group</th><th>partition</th><th>held by</th><th>state</th></tr></thead><tbody></tbody></table>
      <h2>Ownership over time</h2><div id="timeline-chart"></div><div id="timeline-legend"></div></section>
    <div id="members"></div>
  </div>
  <aside>
    <h2>Event log</h2>
    <table id="log"><thead><tr><th>time</th><th>source</th><th>transition</th><th>event</th><th>Kafka facts</th></tr></thead><tbody></tbody></table>
  </aside>
</main>
<template id="chart">${chartSvg}</template>
<script>var buildOwnershipTimeline = ${buildOwnershipTimeline.toString()}; var edgeLabel = ${edgeLabel.toString()};</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char,
  );
}
