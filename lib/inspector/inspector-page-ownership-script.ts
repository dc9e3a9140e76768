/**
 * The inspector page's partition ownership (a part of its script, see inspector-page-script.ts): who holds
 * each partition at the moment shown, and the ownership timeline, one lane per partition over the history.
 */
export const OWNERSHIP_SCRIPT = `
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

  /** Who holds each partition now (or at the scrubbed moment), across every member and source. */
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
    var ids = Object.keys(owners).sort(function (a, b) { var x = a.split('/'), y = b.split('/'); return x[0] === y[0] ? Number(x[1]) - Number(y[1]) : (x[0] < y[0] ? -1 : 1); });
    // In one group a partition has one owner; two means the moment of a rebalance (or a problem).
    document.getElementById('ownership').style.display = ids.length === 0 ? 'none' : '';
    syncRows(body, ids, function (id) { return id; }, function (id) {
      var row = el('tr');
      row.setAttribute('data-owned', id.split('|')[1]);
      row.appendChild(el('td')); row.appendChild(el('td')); row.appendChild(el('td', 'owner')); row.appendChild(el('td'));
      return row;
    }, function (row, id) {
      var shared = owners[id].length > 1 ? 'shared' : '';
      if (row.className !== shared) row.className = shared;
      var parts = id.split('|');
      setCells(row, [parts[0], parts[1], owners[id].map(function (o) { return o.who; }).join(', '), owners[id].map(function (o) { return o.state; }).join(', ')]);
    });
  }
`;
