/**
 * The inspector page's script: plain ES5-style JavaScript, inline in the page (no network, no build step). It
 * keeps every entry the server streams (Server-Sent Events on /events), draws each source's state from the
 * entries up to the slider's position, and follows the newest while "live"; live, it also polls /healthz
 * for what is stuck now, and sends the commands the page offers once a token is typed.
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
    var title = el('h3'); title.appendChild(el('span', 'name', view.source)); var state = el('span', 'state', ''); title.appendChild(state);
    var commandBox = el('span', 'source-commands'); title.appendChild(commandBox);
    panel.appendChild(title);
    var meta = el('div', 'meta'); panel.appendChild(meta);
    var lastEdge = el('div', 'last-edge'); panel.appendChild(lastEdge);
    var chart = el('div', 'chart'); chart.appendChild(chartTemplate.content.cloneNode(true)); panel.appendChild(chart);
    var table = el('table', 'partitions');
    table.innerHTML = '<thead><tr><th>partition</th><th>state</th><th>in flight</th><th>finished</th><th>committed</th><th>lag</th><th>oldest in flight</th><th></th></tr></thead><tbody></tbody>';
    panel.appendChild(table);
    var requests = el('div', 'requests'); panel.appendChild(requests);
    var retries = el('table', 'retries'); retries.hidden = true;
    retries.innerHTML = '<caption>Retries</caption><thead><tr><th>topic</th><th>forwarded, by the attempt that failed</th><th>waiting</th><th>held at</th><th>oldest due</th></tr></thead><tbody></tbody>';
    panel.appendChild(retries);
    member.querySelector('.sources').appendChild(panel);
    panels[key] = { panel: panel, commandBox: commandBox, state: state, meta: meta, lastEdge: lastEdge, chart: chart, partitions: table.querySelector('tbody'), requests: requests, retries: retries };
    return panels[key];
  }

  function highlight(panel, view) {
    panel.chart.querySelectorAll('.current').forEach(function (node) { node.classList.remove('current'); });
    panel.chart.querySelectorAll('.last').forEach(function (node) { node.classList.remove('last'); });
    var parts = view.state.split('.');
    for (var i = 1; i <= parts.length; i++) {
      var node = panel.chart.querySelector('[id="state:' + parts.slice(0, i).join('.') + '"]');
      if (node) node.classList.add('current');
    }
    if (view.lastEdge) {
      var edge = panel.chart.querySelector('[id="arrow:' + view.lastEdge.from + '|' + view.lastEdge.to + '"]');
      if (edge) edge.classList.add('last');
    }
  }

  function render() {
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
      var commandsNow = sourceCommands(view); panel.commandBox.replaceWith(commandsNow); panel.commandBox = commandsNow;
      panel.partitions.innerHTML = '';
      if (view.partitions.length === 0) {
        var row = el('tr'); var cell = el('td', 'empty', 'no partition actors'); cell.colSpan = 7; row.appendChild(cell); panel.partitions.appendChild(row);
      }
      view.partitions.slice().sort(byTopicPartition).forEach(function (p) {
        var row = el('tr');
        row.setAttribute('data-partition', p.id);
        row.appendChild(el('td', '', p.topic + '/' + p.partition));
        var stateCell = el('td'); stateCell.appendChild(el('span', 'pstate ' + p.state, p.state)); row.appendChild(stateCell);
        row.appendChild(el('td', '', text(p.inFlight)));
        row.appendChild(el('td', '', text(p.finishedOffset)));
        row.appendChild(el('td', '', text(p.committedOffset)));
        row.appendChild(el('td', '', text(p.lag)));
        row.appendChild(el('td', '', p.oldestInFlightMs === undefined ? '' : p.oldestInFlightMs + ' ms'));
        row.appendChild(commandCell(view, p));
        panel.partitions.appendChild(row);
      });
      renderRetries(panel.retries, view);
      panel.requests.textContent = view.requests ? ('requests: ' + view.requests.pending + ' pending (oldest ' + view.requests.oldestMs + ' ms), ' + view.requests.answered + ' answered, ' + view.requests.timedOut + ' timed out · reply partitions ' + JSON.stringify(view.replyPartitions || {})) : '';
    });
    var at = entries[upTo];
    if (connected && !replaying) { link.textContent = live ? 'live' : 'scrubbed back'; link.className = 'badge ' + (live ? 'up' : 'replay'); }
    moment.textContent = at ? ((live ? 'live · ' : 'at ') + time(at.at) + ' · entry ' + (upTo + 1) + ' of ' + entries.length) : 'no events yet';
    counts.textContent = entries.length + ' entries' + (replaying ? ' (replayed recording)' : '');
    renderOwnership(views);
    renderTimeline(upTo);
    renderHandlers(upTo);
    renderLog(upTo);
  }

  /**
   * A server's Retries table: a row per source topic (its forwards by failed attempt, and what waits on all
   * its retry topics), then a row per retry topic (what waits on it, and when its oldest record is due).
   */
  function renderRetries(table, view) {
    var forwards = view.retries || [];
    var waiting = view.retryWaiting || [];
    table.hidden = forwards.length === 0 && waiting.length === 0;
    var body = table.querySelector('tbody');
    body.innerHTML = '';
    var sources = [];
    forwards.forEach(function (r) { if (sources.indexOf(r.topic) < 0) sources.push(r.topic); });
    waiting.forEach(function (w) { if (sources.indexOf(w.source) < 0) sources.push(w.source); });
    sources.forEach(function (source) {
      var own = waiting.filter(function (w) { return w.source === source; });
      var attempts = forwards.filter(function (r) { return r.topic === source; }).sort(function (a, b) { return a.attempt - b.attempt; });
      var total = own.reduce(function (sum, w) { return sum + w.waiting; }, 0);
      var dues = own.filter(function (w) { return w.oldestDueAt !== undefined; }).map(function (w) { return w.oldestDueAt; });
      var row = el('tr', 'retry-source'); row.setAttribute('data-retry-source', source);
      row.appendChild(el('td', '', source));
      row.appendChild(el('td', '', attempts.length === 0 ? 'none' : attempts.map(function (r) { return 'attempt ' + r.attempt + ': ' + r.forwarded; }).join(' · ')));
      row.appendChild(el('td', '', String(total)));
      row.appendChild(el('td', '', ''));
      row.appendChild(dueCell(dues.length === 0 ? undefined : Math.min.apply(null, dues)));
      body.appendChild(row);
      own.forEach(function (w) {
        var topicRow = el('tr', 'retry-topic'); topicRow.setAttribute('data-retry-topic', w.topic);
        topicRow.appendChild(el('td', '', '↳ ' + w.topic));
        topicRow.appendChild(el('td', '', ''));
        topicRow.appendChild(el('td', '', String(w.waiting)));
        // Where each paused partition stopped: the record it runs next, once due.
        topicRow.appendChild(el('td', '', w.partitions.map(function (p) { return 'partition ' + p.partition + ', offset ' + text(p.offset); }).join(' · ')));
        topicRow.appendChild(dueCell(w.oldestDueAt));
        body.appendChild(topicRow);
      });
    });
    refreshDue();
  }
  function dueCell(dueAt) {
    var cell = el('td', 'due', dueAt === undefined ? '—' : '');
    if (dueAt !== undefined) cell.setAttribute('data-due-at', String(dueAt));
    return cell;
  }
  /** The due times as a time and how far off they are: from now when live, from the entry's time when scrubbed. */
  function refreshDue() {
    var upTo = live ? entries.length - 1 : Number(scrub.value);
    var now = live || !entries[upTo] ? Date.now() : entries[upTo].at;
    document.querySelectorAll('td[data-due-at]').forEach(function (cell) {
      var dueAt = Number(cell.getAttribute('data-due-at'));
      var seconds = Math.ceil((dueAt - now) / 1000);
      cell.textContent = time(dueAt) + (seconds > 0 ? ' (in ' + seconds + ' s)' : ' (due)');
    });
  }
  setInterval(function () { if (live) refreshDue(); }, 1000);

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
    handlersBody.innerHTML = ''; keysBody.innerHTML = '';
    memberNames.forEach(function (member) {
      var views = latest[member].views;
      views.handlers.forEach(function (h) {
        var row = el('tr'); row.setAttribute('data-handler', h.handler);
        [prefix(member) + h.handler, h.runs, h.failures, h.retries, h.deadLetters, ms(h.p50Ms), ms(h.p99Ms)].forEach(function (value) { row.appendChild(el('td', '', text(value))); });
        handlersBody.appendChild(row);
      });
      views.partitions.forEach(function (p) {
        [['running', p.running], ['waiting', p.waiting]].forEach(function (pair) {
          pair[1].forEach(function (k) {
            var row = el('tr', pair[0]); row.setAttribute('data-key', pair[0] + ':' + p.topic + '/' + p.partition + ':' + k.offset);
            var what = pair[0] + (k.retry ? ' (attempt ' + k.retry.attempt + ' of ' + k.retry.attempts + ' failed)' : '');
            // Text, never markup: a key is whatever the producer chose.
            [prefix(member) + p.topic + '/' + p.partition, what, k.key === undefined ? '—' : k.key, k.offset, k.records, ms(k.ms), k.handler].forEach(function (value) { row.appendChild(el('td', '', text(value))); });
            keysBody.appendChild(row);
          });
        });
      });
    });
    if (!handlersBody.children.length) { var none = el('tr'); var cell = el('td', 'empty', 'no handler has run since the inspector started'); cell.colSpan = 7; none.appendChild(cell); handlersBody.appendChild(none); }
    if (!keysBody.children.length) { var idle = el('tr'); var idleCell = el('td', 'empty', 'nothing waiting or running'); idleCell.colSpan = 7; idle.appendChild(idleCell); keysBody.appendChild(idle); }
  }

  /** Who holds each partition now (or at the scrubbed moment), across every member and source. */
  // The ownership timeline: one lane per partition, a colour per owner, and where it processed nothing, why.
  var OWNER_COLOURS = ['#4c78a8', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#bab0ac', '#86bcb6', '#f1ce63', '#a0cbe8'];
  var CAUSES = { rebalance: 'rebalance (revoking)', unowned: 'unowned (between a revoke and the next join)', paused: 'paused by an operator', stuck: 'stuck (a record in flight past 30 s)' };
  var timelineDrawnAt = 0, timelineDrawnFor = -1;
  function renderTimeline(upTo) {
    var chart = document.getElementById('timeline-chart');
    var nowMs = Date.now();
    // Redrawn when the moment shown changed, and while live at most once a second.
    if (upTo === timelineDrawnFor && nowMs - timelineDrawnAt < 1000) return;
    timelineDrawnFor = upTo; timelineDrawnAt = nowMs;
    var end = replaying || entries.length === 0 ? (entries.length ? entries[entries.length - 1].at : nowMs) : nowMs;
    var timeline = buildOwnershipTimeline(entries, end, 30000);
    chart.innerHTML = '';
    var legend = document.getElementById('timeline-legend'); legend.innerHTML = '';
    if (timeline.lanes.length === 0) return;
    var NS = 'http://www.w3.org/2000/svg';
    // Drawn at the section's own width, one unit a pixel: labels stay 11 px whatever the window.
    var LABEL = 190, WIDTH = Math.max(400, chart.clientWidth || 1000), LANE = 16, TOP = 4;
    var span = Math.max(1, timeline.to - timeline.from);
    var x = function (t) { return LABEL + (t - timeline.from) / span * (WIDTH - LABEL - 4); };
    var svg = document.createElementNS(NS, 'svg');
    var height = TOP + timeline.lanes.length * LANE + 16;
    svg.setAttribute('viewBox', '0 0 ' + WIDTH + ' ' + height);
    svg.innerHTML = '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff3dc"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c77700" stroke-width="2"/></pattern></defs>';
    function node(tag, attributes, content) { var n = document.createElementNS(NS, tag); Object.keys(attributes).forEach(function (k) { n.setAttribute(k, attributes[k]); }); if (content !== undefined) n.textContent = content; return n; }
    timeline.lanes.forEach(function (lane, index) {
      var y = TOP + index * LANE;
      var label = node('text', { x: LABEL - 6, y: y + 11, 'text-anchor': 'end' }, lane.topic + '/' + lane.partition);
      label.appendChild(node('title', {}, lane.group + ' · ' + lane.topic + '/' + lane.partition));
      svg.appendChild(label);
      lane.spans.forEach(function (s) {
        var colour = s.owner ? OWNER_COLOURS[timeline.owners.indexOf(s.owner) % OWNER_COLOURS.length] : '#e6e8ee';
        var fill = s.cause === 'rebalance' ? 'url(#hatch)' : s.cause === 'stuck' ? '#f28e2b' : colour;
        var rect = node('rect', { x: x(s.from), y: y + 2, width: Math.max(1, x(s.to) - x(s.from)), height: LANE - 4, fill: fill, 'data-lane': lane.id, 'data-cause': s.cause, 'data-owner': s.owner || '' });
        if (s.cause === 'paused') { rect.setAttribute('stroke', '#d64545'); rect.setAttribute('stroke-width', '2'); }
        rect.appendChild(node('title', {}, (s.owner || 'no owner') + ' · ' + (s.state || '') + ' · ' + s.cause + ' · ' + time(s.from) + ' – ' + time(s.to)));
        svg.appendChild(rect);
      });
    });
    var at = entries[upTo] ? entries[upTo].at : timeline.to;
    svg.appendChild(node('line', { x1: x(at), x2: x(at), y1: 0, y2: height - 14, stroke: '#1d2433', 'stroke-width': 1.5, 'data-cursor': String(at) }));
    svg.appendChild(node('text', { x: LABEL, y: height - 2 }, time(timeline.from)));
    svg.appendChild(node('text', { x: WIDTH - 4, y: height - 2, 'text-anchor': 'end' }, time(timeline.to)));
    // A click moves the slider to the last entry at or before that moment.
    svg.addEventListener('click', function (event) {
      var box = svg.getBoundingClientRect();
      var t = timeline.from + ((event.clientX - box.left) / box.width * WIDTH - LABEL) / (WIDTH - LABEL - 4) * span;
      var index = 0; for (var i = 0; i < entries.length; i++) if (entries[i].at <= t) index = i;
      live = false; liveBox.checked = false; scrub.value = String(index); render();
    });
    chart.appendChild(svg);
    timeline.owners.forEach(function (owner, i) { var item = el('span'); var swatch = el('span', 'swatch'); swatch.style.background = OWNER_COLOURS[i % OWNER_COLOURS.length]; item.appendChild(swatch); item.appendChild(document.createTextNode(owner)); legend.appendChild(item); });
    Object.keys(CAUSES).forEach(function (cause) { var item = el('span'); var swatch = el('span', 'swatch'); swatch.style.background = cause === 'rebalance' ? 'repeating-linear-gradient(45deg,#fff3dc 0 3px,#c77700 3px 5px)' : cause === 'stuck' ? '#f28e2b' : cause === 'unowned' ? '#e6e8ee' : '#fff'; if (cause === 'paused') swatch.style.border = '2px solid #d64545'; item.appendChild(swatch); item.appendChild(document.createTextNode(CAUSES[cause])); legend.appendChild(item); });
  }

  function renderOwnership(views) {
    var owners = {};
    Object.keys(views).forEach(function (key) {
      var view = views[key];
      var top = view.state.split('.')[0];
      if (top === 'stopped' || top === 'failed' || top === 'idle') return;
      view.partitions.forEach(function (p) {
        var id = (view.groupId || '') + '|' + p.topic + '/' + p.partition;
        (owners[id] = owners[id] || []).push({ who: view.member + ' · ' + view.source, state: p.state });
      });
    });
    var body = document.querySelector('#ownership tbody');
    body.innerHTML = '';
    var ids = Object.keys(owners).sort(function (a, b) { var x = a.split('/'), y = b.split('/'); return x[0] === y[0] ? Number(x[1]) - Number(y[1]) : (x[0] < y[0] ? -1 : 1); });
    // In one group a partition has one owner; two means the moment of a rebalance (or a problem).
    document.getElementById('ownership').style.display = ids.length === 0 ? 'none' : '';
    ids.forEach(function (id) {
      var row = el('tr', owners[id].length > 1 ? 'shared' : '');
      var parts = id.split('|');
      row.setAttribute('data-owned', parts[1]);
      row.appendChild(el('td', '', parts[0]));
      row.appendChild(el('td', '', parts[1]));
      row.appendChild(el('td', 'owner', owners[id].map(function (o) { return o.who; }).join(', ')));
      row.appendChild(el('td', '', owners[id].map(function (o) { return o.state; }).join(', ')));
      body.appendChild(row);
    });
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
      row.appendChild(el('td', '', entry.kind === 'source' ? '(inspector attached)' : entry.event + (isPartition ? ' by ' + entry.by : '')));
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

  scrub.addEventListener('input', function () { live = false; liveBox.checked = false; render(); });
  liveBox.addEventListener('change', function () { live = liveBox.checked; render(); });

  var stuckEl = document.getElementById('stuck');
  // Lines are text, never markup: a stuck line names a record key, which anyone who can produce chose.
  var lastStuck = [];
  function showStuck(stuck) {
    lastStuck = stuck || [];
    var list = stuckEl.querySelector('ul'); list.innerHTML = '';
    lastStuck.forEach(function (item) { var line = el('li', '', item.sentence); line.setAttribute('data-reason', item.reason.kind); if (item.reason.traceId) line.setAttribute('data-trace-id', item.reason.traceId); var skip = skipButton(item); if (skip) line.appendChild(skip); list.appendChild(line); });
    stuckEl.hidden = list.children.length === 0;
  }
  // A skip is offered only on a line naming an event handler running on a record: a request's caller waits
  // for a reply (the server refuses to skip it), and the other reasons name no record to skip.
  function skipButton(item) {
    var reason = item.reason;
    if (!commandsOn || replaying || !tokenInput.value || reason.kind !== 'handler-running' || reason.correlationId !== undefined) return undefined;
    var button = el('button', '', 'skip to dead letters');
    button.setAttribute('data-command', 'skip');
    button.addEventListener('click', function () { sendCommand({ member: localMember, source: item.source }, 'skip', item.topic, item.partition, reason.offset); });
    return button;
  }
  function pollStuck() { fetch('healthz').then(function (response) { return response.json(); }).then(function (body) { showStuck(body.stuck); }, function () { return undefined; }); }
  var stuckTimer;

  // Commands: only where the inspector takes them (its hello says so), with a token the operator typed,
  // for this process's own sources, and live (never on a scrubbed-back or replayed moment).
  var commandsOn = false;
  var fleetOn = false;
  var connected = false;
  var localMember;
  var commandsEl = document.getElementById('commands');
  var tokenInput = document.getElementById('token');
  var commandStatus = document.getElementById('command-status');
  tokenInput.value = sessionStorage.getItem('rxkafka-inspector-token') || '';
  tokenInput.addEventListener('input', function () { sessionStorage.setItem('rxkafka-inspector-token', tokenInput.value); render(); showStuck(lastStuck); });
  function byTopicPartition(a, b) { return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition; }
  function commandCell(view, p) {
    var cell = el('td');
    if (!mayCommand(view)) return cell;
    var type = p.state === 'paused' ? 'resume' : p.state === 'idle' || p.state === 'processing' ? 'pause' : undefined;
    if (!type) return cell;
    var button = el('button', '', type);
    button.setAttribute('data-command', type);
    button.addEventListener('click', function () { sendCommand(view, type, p.topic, p.partition); });
    cell.appendChild(button);
    return cell;
  }
  // This process's sources, and with a fleet every member's (the fleet's command topic carries them).
  function mayCommand(view) { return commandsOn && live && !replaying && !!tokenInput.value && (view.member === localMember || fleetOn); }
  function sourceCommands(view) {
    var box = el('span', 'source-commands');
    var state = view.state.split('.')[0];
    if (!mayCommand(view) || state === 'idle' || state === 'stopped' || state === 'draining') return box;
    ['drain', 'stop'].forEach(function (type) {
      var button = el('button', '', type);
      button.setAttribute('data-command', type);
      button.addEventListener('click', function () { sendCommand(view, type); });
      box.appendChild(button);
    });
    return box;
  }
  function sendCommand(view, type, topic, partition, offset) {
    var id = Date.now() + '-' + Math.random().toString(16).slice(2);
    var body = { id: id, member: view.member, source: view.source, type: type, by: 'inspector page' };
    if (topic !== undefined) { body.topic = topic; body.partition = partition; }
    if (offset !== undefined) body.offset = offset;
    var what = type + ' ' + (topic !== undefined ? topic + '/' + partition : view.source) + (offset === undefined ? '' : ' offset ' + offset);
    fetch('commands', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + tokenInput.value }, body: JSON.stringify(body) })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        commandStatus.className = answer.accepted ? 'accepted' : 'refused';
        commandStatus.setAttribute('data-refusal', answer.accepted ? '' : answer.refusal);
        commandStatus.textContent = answer.accepted ? what + (answer.forwardedTo ? ': sent to ' + answer.forwardedTo : ': taken') : answer.reason;
        if (answer.accepted && type === 'skip') pollStuck();
      }, function (error) { commandStatus.className = 'refused'; commandStatus.textContent = String(error); });
  }

  var source = new EventSource('events');
  source.addEventListener('hello', function (message) { var hello = JSON.parse(message.data); replaying = hello.replay; commandsOn = hello.commands === true; fleetOn = hello.fleet === true; localMember = hello.member; connected = true; commandsEl.hidden = !commandsOn; link.textContent = hello.replay ? 'replay' : 'live'; link.className = 'badge ' + (hello.replay ? 'replay' : 'up'); if (!hello.replay && !stuckTimer) { pollStuck(); stuckTimer = setInterval(pollStuck, 5000); } });
  source.addEventListener('history', function (message) { entries.length = 0; logged = 0; membersScanned = 0; logBody.innerHTML = ''; JSON.parse(message.data).forEach(function (entry) { entries.push(entry); }); render(); });
  source.onmessage = function (message) { entries.push(JSON.parse(message.data)); schedule(); };
  source.onerror = function () { connected = false; link.textContent = 'disconnected'; link.className = 'badge down'; };
  var pending = false;
  // Entries of one burst are drawn once; a microtask, not a timer, so a page in a background tab keeps up.
  function schedule() { if (pending) return; pending = true; Promise.resolve().then(function () { pending = false; render(); }); }
  window.__inspector = { entries: entries, render: render, pollStuck: pollStuck, scrubTo: function (index) { live = false; liveBox.checked = false; scrub.value = String(index); render(); }, goLive: function () { live = true; liveBox.checked = true; render(); } };
})();
`;
