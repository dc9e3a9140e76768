import { CHART_SCRIPT } from './inspector-page-chart-script';
import { COMMANDS_SCRIPT } from './inspector-page-commands-script';
import { OWNERSHIP_SCRIPT } from './inspector-page-ownership-script';
import { RETRIES_SCRIPT } from './inspector-page-retries-script';
import { ROWS_SCRIPT } from './inspector-page-rows-script';

/**
 * The inspector page's script: plain ES5-style JavaScript, inline in the page (no network, no build step). It
 * keeps every entry the server streams (Server-Sent Events on /events), draws each source's state from the
 * entries up to the slider's position, and follows the newest while "live"; live, it also polls /healthz
 * for what is stuck now, and sends the commands the page offers once a token is typed. Its parts share one
 * function scope: the stream is opened last, once every part has defined what it draws with.
 */
export const PAGE_SCRIPT = `
(function () {
  var entries = [];
  var live = true;
  var link = document.getElementById('link');
  var scrub = document.getElementById('scrub');
  var liveBox = document.getElementById('live');
  var moment = document.getElementById('moment');
  var membersEl = document.getElementById('members');
  var logBody = document.querySelector('#log tbody');
  var counts = document.getElementById('counts');
  var chartTemplate = document.getElementById('chart');
  var panels = {};
  var replaying = false;

  function text(value) { return value === undefined || value === null ? '' : String(value); }
  function el(tag, cls, content) { var node = document.createElement(tag); if (cls) node.className = cls; if (content !== undefined) node.textContent = content; return node; }
  function time(at) { var d = new Date(at); return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0'); }
  function assignmentText(assignment) {
    var topics = Object.keys(assignment || {});
    if (topics.length === 0) return 'no partitions';
    return topics.map(function (topic) { return topic + ' [' + assignment[topic].join(',') + ']'; }).join('; ');
  }

  /** Each source's standing after the entries up to index 'upTo' (inclusive). */
  function standing(upTo) {
    var bySource = {};
    for (var i = 0; i <= upTo && i < entries.length; i++) {
      var entry = entries[i];
      if (entry.kind === 'views' || entry.kind === 'redrive') continue;
      var key = entry.member + '\\u0000' + entry.source;
      var view = bySource[key] || (bySource[key] = { member: entry.member, source: entry.source, state: 'idle', facts: { assignment: {} }, partitions: [], requests: undefined, lastEdge: undefined, role: '' });
      if (entry.kind === 'source') { view.role = entry.role; view.state = entry.state; view.clientId = entry.clientId; view.groupId = entry.groupId; view.facts = entry.facts; view.lastEdge = undefined; }
      if (entry.kind === 'edge') { view.state = entry.to; view.facts = entry.facts; view.lastEdge = entry; if (entry.partitions) view.partitions = entry.partitions; }
      if (entry.kind === 'partition-edge') view.partitions = entry.partitions;
      if (entry.kind === 'partitions') view.partitions = entry.partitions;
      if (entry.kind === 'requests') { view.requests = entry.requests; view.replyPartitions = entry.replyPartitions; }
      if (entry.kind === 'retries') { view.retries = entry.retries; view.retryWaiting = entry.waiting; }
    }
    return bySource;
  }

  function panelFor(view) {
    var key = view.member + '\\u0000' + view.source;
    if (panels[key]) return panels[key];
    var memberId = 'member-' + view.member.replace(/[^a-zA-Z0-9_-]/g, '_');
    var member = document.getElementById(memberId);
    if (!member) {
      member = el('div', 'member'); member.id = memberId;
      member.appendChild(el('h2', '', 'process ' + view.member));
      member.appendChild(el('div', 'sources'));
      membersEl.appendChild(member);
    }
    var panel = el('div', 'source');
    panel.setAttribute('data-source', view.source);
    var title = el('h3'); title.appendChild(el('span', 'marker', String(markerNumber(key)))); title.appendChild(el('span', 'name', view.source)); var state = el('span', 'state', ''); title.appendChild(state);
    var commandBox = el('span', 'source-commands'); title.appendChild(commandBox);
    panel.appendChild(title);
    var meta = el('div', 'meta'); panel.appendChild(meta);
    var lastEdge = el('div', 'last-edge'); panel.appendChild(lastEdge);
    // The source's own chart, folded: the fleet's chart above shows every source at a glance.
    var fullChart = el('details', 'full-chart'); fullChart.appendChild(el('summary', '', 'full chart'));
    var chart = el('div', 'chart'); chart.appendChild(chartTemplate.content.cloneNode(true)); fullChart.appendChild(chart); panel.appendChild(fullChart);
    var table = el('table', 'partitions');
    table.innerHTML = '<thead><tr><th>partition</th><th>state</th><th>in flight</th><th>finished</th><th>committed</th><th>lag</th><th>oldest in flight</th><th></th></tr></thead><tbody></tbody>';
    panel.appendChild(table);
    var requests = el('div', 'requests'); panel.appendChild(requests);
    var retries = el('table', 'retries'); retries.hidden = true;
    retries.innerHTML = '<caption>Retries</caption><thead><tr><th>topic</th><th>forwarded, by the attempt that failed</th><th>waiting</th><th>held at</th><th>oldest due</th></tr></thead><tbody></tbody>';
    panel.appendChild(retries);
    member.querySelector('.sources').appendChild(panel);
    panels[key] = { panel: panel, commandBox: commandBox, state: state, meta: meta, lastEdge: lastEdge, chart: chart, fullChart: fullChart, partitions: table.querySelector('tbody'), requests: requests, retries: retries };
    return panels[key];
  }


  var lastRender = 0;
  function render() {
    lastRender = Date.now();
    var upTo = live ? entries.length - 1 : Number(scrub.value);
    scrub.max = String(Math.max(0, entries.length - 1));
    if (live) scrub.value = String(entries.length - 1);
    var views = standing(upTo);
    Object.keys(views).forEach(function (key) {
      var view = views[key];
      var panel = panelFor(view);
      panel.state.textContent = view.state;
      panel.state.className = 'state ' + view.state.split('.')[0];
      panel.meta.textContent = [view.role, view.clientId && ('client ' + view.clientId), view.groupId && ('group ' + view.groupId), view.facts.memberId && ('member ' + view.facts.memberId), view.facts.generationId !== undefined ? 'generation ' + view.facts.generationId : '', assignmentText(view.facts.assignment)].filter(Boolean).join(' · ');
      panel.lastEdge.textContent = view.lastEdge ? ('last: ' + view.lastEdge.from + ' → ' + view.lastEdge.to + ' on ' + view.lastEdge.event + ' at ' + time(view.lastEdge.at)) : '';
      highlight(panel, view);
      // Its buttons are replaced only when what they offer changed: a click must find the button it aimed at.
      var offered = sourceCommandsOffered(view);
      if (panel.commandsOffered !== offered) { var commandsNow = sourceCommands(view); panel.commandBox.replaceWith(commandsNow); panel.commandBox = commandsNow; panel.commandsOffered = offered; }
      if (view.partitions.length === 0) syncEmpty(panel.partitions, 'no partition actors', 7);
      else syncRows(panel.partitions, view.partitions.slice().sort(byTopicPartition), function (p) { return p.id; }, partitionRow, function (row, p) { fillPartitionRow(row, view, p); });
      renderRetries(panel.retries, view);
      panel.requests.textContent = view.requests ? ('requests: ' + view.requests.pending + ' pending (oldest ' + view.requests.oldestMs + ' ms), ' + view.requests.answered + ' answered, ' + view.requests.timedOut + ' timed out · reply partitions ' + JSON.stringify(view.replyPartitions || {})) : '';
    });
    var at = entries[upTo];
    if (connected && !replaying) { link.textContent = live ? 'live' : 'scrubbed back'; link.className = 'badge ' + (live ? 'up' : 'replay'); }
    moment.textContent = at ? ((live ? 'live · ' : 'at ') + time(at.at) + ' · entry ' + (upTo + 1) + ' of ' + entries.length) : 'no events yet';
    counts.textContent = entries.length + ' entries' + (replaying ? ' (replayed recording)' : '');
    renderFleetChart(views);
    renderOwnership(views);
    renderTimeline(upTo);
    renderHandlers(upTo);
    renderLog(upTo);
  }


  function partitionRow(p) {
    var row = el('tr');
    row.setAttribute('data-partition', p.id);
    row.appendChild(el('td')); var stateCell = el('td'); stateCell.appendChild(el('span')); row.appendChild(stateCell);
    for (var i = 0; i < 6; i++) row.appendChild(el('td'));
    return row;
  }
  function fillPartitionRow(row, view, p) {
    var cells = row.children;
    setText(cells[0], p.topic + '/' + p.partition);
    var state = cells[1].firstChild; setText(state, p.state); if (state.className !== 'pstate ' + p.state) state.className = 'pstate ' + p.state;
    setText(cells[2], text(p.inFlight));
    setText(cells[3], text(p.finishedOffset));
    setText(cells[4], text(p.committedOffset));
    setText(cells[5], text(p.lag));
    setText(cells[6], p.oldestInFlightMs === undefined ? '' : p.oldestInFlightMs + ' ms');
    var offered = partitionCommandOffered(view, p);
    if (row.__offered !== offered) { row.replaceChild(commandCell(view, p), cells[7]); row.__offered = offered; }
  }

  var handlersBody = document.querySelector('#handlers tbody');
  var keysBody = document.querySelector('#keys tbody');
  // Three significant digits: a latency of 6.274956999997812 ms reads as 6.27 ms.
  function ms(value) { return value === undefined ? '' : Number(value.toPrecision(3)) + ' ms'; }
  /** Each member's handler and key views as they stood at entry 'upTo' (its last views entry before it). */
  function renderHandlers(upTo) {
    var latest = {};
    for (var i = 0; i <= upTo && i < entries.length; i++) if (entries[i].kind === 'views') latest[entries[i].member] = entries[i];
    var memberNames = Object.keys(latest).sort();
    var prefix = function (member) { return memberNames.length > 1 ? member + ' · ' : ''; };
    var handlerRows = []; var keyRows = [];
    memberNames.forEach(function (member) {
      var views = latest[member].views;
      views.handlers.forEach(function (h) {
        handlerRows.push({ key: member + '\u0000' + h.handler, handler: h.handler, cells: [prefix(member) + h.handler, h.runs, h.failures, h.retries, h.deadLetters, ms(h.p50Ms), ms(h.p99Ms)] });
      });
      views.partitions.forEach(function (p) {
        [['running', p.running], ['waiting', p.waiting]].forEach(function (pair) {
          pair[1].forEach(function (k) {
            var what = pair[0] + (k.retry ? ' (attempt ' + k.retry.attempt + ' of ' + k.retry.attempts + ' failed)' : '');
            var dataKey = pair[0] + ':' + p.topic + '/' + p.partition + ':' + k.offset;
            // Text, never markup: a key is whatever the producer chose.
            keyRows.push({ key: member + '\u0000' + dataKey + '\u0000' + text(k.handler), dataKey: dataKey, kind: pair[0], cells: [prefix(member) + p.topic + '/' + p.partition, what, k.key === undefined ? '—' : k.key, k.offset, k.records, ms(k.ms), k.handler] });
          });
        });
      });
    });
    var byKey = function (item) { return item.key; };
    if (handlerRows.length === 0) syncEmpty(handlersBody, 'no handler has run since the inspector started', 7);
    else syncRows(handlersBody, handlerRows, byKey, function (item) { var row = el('tr'); row.setAttribute('data-handler', item.handler); return row; }, function (row, item) { setCells(row, item.cells); });
    if (keyRows.length === 0) syncEmpty(keysBody, 'nothing waiting or running', 7);
    else syncRows(keysBody, keyRows, byKey, function (item) { var row = el('tr', item.kind); row.setAttribute('data-key', item.dataKey); return row; }, function (row, item) { setCells(row, item.cells); });
  }


  var logged = 0;
  var members = {};
  var membersScanned = 0;
  var manyMembers = false;
  /** A command's row in the log: what was asked, by whom, and what came of it. */
  function commandRow(entry, index) {
    var row = el('tr', 'command ' + (entry.accepted ? 'accepted' : 'refused'));
    row.setAttribute('data-index', String(index));
    row.appendChild(el('td', '', time(entry.at)));
    row.appendChild(el('td', '', manyMembers ? entry.member + ' · ' + entry.source : entry.source));
    row.appendChild(el('td', '', 'command ' + entry.type + (entry.topic !== undefined ? ' ' + entry.topic + '/' + entry.partition : '')));
    row.appendChild(el('td', '', 'by ' + entry.by));
    row.appendChild(el('td', '', entry.accepted ? 'taken' : 'refused: ' + entry.reason));
    return row;
  }
  function renderLog(upTo) {
    // With several processes (a fleet), each log row names its member too; only new entries are looked at.
    for (; membersScanned < entries.length; membersScanned++) members[entries[membersScanned].member] = true;
    if (!manyMembers && Object.keys(members).length > 1) { manyMembers = true; logged = 0; logBody.innerHTML = ''; }
    for (; logged < entries.length; logged++) {
      var entry = entries[logged];
      if (entry.kind === 'redrive') { logBody.insertBefore(redriveRow(entry, logged), logBody.firstChild); continue; }
      if (entry.kind !== 'edge' && entry.kind !== 'source' && entry.kind !== 'partition-edge' && entry.kind !== 'command') continue;
      var row = el('tr');
      row.setAttribute('data-index', String(logged));
      row.appendChild(el('td', '', time(entry.at)));
      row.appendChild(el('td', '', manyMembers ? entry.member + ' · ' + entry.source : entry.source));
      if (entry.kind === 'command') { logBody.insertBefore(commandRow(entry, logged), logBody.firstChild); continue; }
      var isPartition = entry.kind === 'partition-edge';
      if (isPartition) row.className = 'partition-edge';
      row.appendChild(el('td', '', entry.kind === 'source' ? 'seen in ' + entry.state : (isPartition ? entry.topic + '/' + entry.partition + ': ' : '') + entry.from + ' → ' + entry.to));
      // An event by its short label, as on the chart's arrows; its full name on hover.
      var eventCell = el('td', '', entry.kind === 'source' ? '(inspector attached)' : edgeLabel(entry.event) + (isPartition ? ' by ' + entry.by : ''));
      if (entry.kind !== 'source') eventCell.title = entry.event;
      row.appendChild(eventCell);
      // A partition's edge carries no Kafka facts of the connection: its cell stays empty.
      var facts = entry.facts || {};
      var factsText = [facts.memberId ? 'member …' + facts.memberId.slice(-8) : '', facts.generationId !== undefined ? 'gen ' + facts.generationId : '', facts.assignment ? assignmentText(facts.assignment) : '', facts.lastError ? facts.lastError.name + ': ' + facts.lastError.message : ''].filter(Boolean).join(' · ');
      var factsCell = el('td', '', factsText); factsCell.title = factsText + (facts.memberId ? ' (member ' + facts.memberId + ')' : ''); row.appendChild(factsCell);
      row.addEventListener('click', (function (index) { return function () { live = false; liveBox.checked = false; scrub.value = String(index); render(); }; })(logged));
      logBody.insertBefore(row, logBody.firstChild);
    }
    logBody.querySelectorAll('tr').forEach(function (row) {
      var index = Number(row.getAttribute('data-index'));
      row.classList.toggle('future', index > upTo);
      row.classList.toggle('at', !live && index === upTo);
    });
  }

  // A re-drive of a dead-letter topic: its start, then what it wrote back and skipped, or why it failed.
  function redriveRow(entry, index) {
    var row = el('tr'); row.className = 'redrive'; row.setAttribute('data-index', String(index));
    row.appendChild(el('td', '', time(entry.at)));
    row.appendChild(el('td', '', manyMembers ? entry.member + ' · ' + entry.source : entry.source));
    row.appendChild(el('td', '', entry.topic + ': re-drive ' + entry.outcome));
    row.appendChild(el('td', '', 'redrive by ' + entry.by));
    var byTopic = entry.byTopic || {};
    var perTopic = Object.keys(byTopic).map(function (topic) { return topic + ' ' + byTopic[topic]; }).join(', ');
    var result = entry.outcome === 'done' ? entry.redriven + ' re-driven' + (perTopic ? ' (' + perTopic + ')' : '') + ', ' + entry.skipped + ' skipped' : entry.outcome === 'failed' ? entry.error : '';
    var cell = el('td', '', result); cell.title = result; row.appendChild(cell);
    return row;
  }
${ROWS_SCRIPT}
${RETRIES_SCRIPT}
${OWNERSHIP_SCRIPT}
${CHART_SCRIPT}
${COMMANDS_SCRIPT}
  scrub.addEventListener('input', function () { live = false; liveBox.checked = false; render(); });
  liveBox.addEventListener('change', function () { live = liveBox.checked; render(); });


  var source = new EventSource('events');
  source.addEventListener('hello', function (message) { var hello = JSON.parse(message.data); replaying = hello.replay; commandsOn = hello.commands === true; fleetOn = hello.fleet === true; localMember = hello.member; connected = true; commandsEl.hidden = !commandsOn; link.textContent = hello.replay ? 'replay' : 'live'; link.className = 'badge ' + (hello.replay ? 'replay' : 'up'); if (!hello.replay && !stuckTimer) { pollStuck(); stuckTimer = setInterval(pollStuck, 5000); } });
  source.addEventListener('history', function (message) { entries.length = 0; logged = 0; membersScanned = 0; logBody.innerHTML = ''; JSON.parse(message.data).forEach(function (entry) { entries.push(entry); }); render(); });
  source.onmessage = function (message) { entries.push(JSON.parse(message.data)); schedule(); };
  source.onerror = function () { connected = false; link.textContent = 'disconnected'; link.className = 'badge down'; };
  // Entries are drawn at most once every RENDER_EVERY_MS, however fast they stream: each render redraws the
  // tables and charts from the entries, and the browser shares the cores with the process it watches (a
  // request/reply run's two pages took a third of a core at four draws a second, a sixth at one). The
  // first entry after a quiet spell is drawn at once (a microtask: a background tab's timers are slowed).
  var RENDER_EVERY_MS = 1000;
  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    var wait = lastRender + RENDER_EVERY_MS - Date.now();
    if (wait <= 0) Promise.resolve().then(drawPending); else setTimeout(drawPending, wait);
  }
  function drawPending() { pending = false; render(); }
  window.__inspector = { entries: entries, render: render, pollStuck: pollStuck, scrubTo: function (index) { live = false; liveBox.checked = false; scrub.value = String(index); render(); }, goLive: function () { live = true; liveBox.checked = true; render(); } };
})();
`;
