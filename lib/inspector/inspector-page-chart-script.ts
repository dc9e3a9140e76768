/**
 * The inspector page's charts (a part of its script, see inspector-page-script.ts): the connection machine
 * drawn once for the fleet, every source a numbered marker on its current state and its last edge a
 * highlighted arrow; and a source's own chart, unfolded on demand in its panel. Both are clones of the one
 * SVG the server rendered, at its natural size (a state's label 13 px), found again by the ids
 * statechart-dot.ts gives states and arrows.
 */
export const CHART_SCRIPT = `
  var fleetChart = document.getElementById('fleet-chart');
  var fleetSvg, markerLayer;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var MARKER_RADIUS = 9, MARKER_STEP = 20;
  // A source keeps the number it was first drawn with, whatever joins or leaves after it.
  var markerNumbers = {}, nextMarker = 1;
  function markerNumber(key) { return markerNumbers[key] || (markerNumbers[key] = nextMarker++); }

  /** The chart's element of the deepest state of 'state' (a dotted path) the chart draws. */
  function stateElement(chart, state) {
    var parts = state.split('.');
    for (var i = parts.length; i > 0; i--) {
      var node = chart.querySelector('[id="state:' + parts.slice(0, i).join('.') + '"]');
      if (node) return node;
    }
    return null;
  }
  function lastArrow(chart, view) {
    return view.lastEdge ? chart.querySelector('[id="arrow:' + view.lastEdge.from + '|' + view.lastEdge.to + '"]') : null;
  }
  function clearHighlights(chart) {
    chart.querySelectorAll('.current, .last').forEach(function (node) { node.classList.remove('current'); node.classList.remove('last'); });
  }
  function lastEdgeText(view) {
    return view.lastEdge ? view.lastEdge.from + ' → ' + view.lastEdge.to + ' on ' + edgeLabel(view.lastEdge.event) + ' at ' + time(view.lastEdge.at) : 'no edge yet';
  }

  /** A source's own chart: its state and every enclosing state highlighted, its last edge in red. */
  function highlight(panel, view) {
    clearHighlights(panel.chart);
    var parts = view.state.split('.');
    for (var i = 1; i <= parts.length; i++) {
      var node = panel.chart.querySelector('[id="state:' + parts.slice(0, i).join('.') + '"]');
      if (node) node.classList.add('current');
    }
    var edge = lastArrow(panel.chart, view);
    if (edge) edge.classList.add('last');
  }
  /** Unfolds a source's own chart in its panel and brings the panel into view. */
  function openFullChart(panel) {
    panel.fullChart.open = true;
    panel.panel.scrollIntoView({ block: 'start' });
  }

  /** The fleet's chart at the moment shown: a numbered marker per source, its last edge highlighted. */
  function renderFleetChart(views) {
    var keys = Object.keys(views);
    fleetChart.hidden = keys.length === 0;
    if (keys.length === 0) return;
    if (!fleetSvg) {
      fleetChart.querySelector('.chart-scroll').appendChild(chartTemplate.content.cloneNode(true));
      fleetSvg = fleetChart.querySelector('svg');
      markerLayer = document.createElementNS(SVG_NS, 'g');
      markerLayer.setAttribute('class', 'markers');
      fleetSvg.querySelector('g.graph').appendChild(markerLayer);
    }
    clearHighlights(fleetSvg);
    markerLayer.innerHTML = '';
    var legend = fleetChart.querySelector('.marker-legend');
    legend.innerHTML = '';
    var byState = {};
    keys.sort(function (a, b) { return markerNumber(a) - markerNumber(b); }).forEach(function (key) {
      var view = views[key];
      var number = markerNumber(key);
      var node = stateElement(fleetSvg, view.state);
      if (node) {
        node.classList.add('current');
        (byState[node.id] = byState[node.id] || { node: node, markers: [] }).markers.push({ key: key, number: number, view: view });
      }
      var arrow = lastArrow(fleetSvg, view);
      if (arrow) arrow.classList.add('last');
      legend.appendChild(legendItem(key, number, view));
    });
    Object.keys(byState).forEach(function (id) { placeMarkers(byState[id].node, byState[id].markers); });
    fleetChart.querySelector('.count').textContent = '· ' + keys.length + (keys.length === 1 ? ' source' : ' sources');
  }

  function legendItem(key, number, view) {
    var item = el('li');
    item.setAttribute('data-marker', String(number));
    item.appendChild(el('span', 'marker', String(number)));
    var who = el('button', 'who', manyMembers ? view.member + ' · ' + view.source : view.source);
    who.title = 'open its chart';
    who.addEventListener('click', function () { openFullChart(panels[key]); });
    item.appendChild(who);
    item.appendChild(el('span', 'state ' + view.state.split('.')[0], view.state));
    item.appendChild(el('span', 'edge', lastEdgeText(view)));
    return item;
  }

  // Markers sit in rows along the top border of their state's box, as many a row as its width holds,
  // further rows above: each number stays readable, whatever the number of sources in one state.
  function placeMarkers(node, markers) {
    var box = node.getBBox();
    var perRow = Math.max(3, Math.floor((box.width + MARKER_STEP / 2) / MARKER_STEP));
    markers.forEach(function (marker, index) {
      var row = Math.floor(index / perRow);
      var inRow = Math.min(perRow, markers.length - row * perRow);
      var x = box.x + box.width / 2 + ((index % perRow) - (inRow - 1) / 2) * MARKER_STEP;
      var y = box.y - row * MARKER_STEP;
      var group = document.createElementNS(SVG_NS, 'g');
      group.setAttribute('class', 'marker');
      group.setAttribute('data-marker', String(marker.number));
      var circle = document.createElementNS(SVG_NS, 'circle');
      circle.setAttribute('cx', String(x)); circle.setAttribute('cy', String(y)); circle.setAttribute('r', String(MARKER_RADIUS));
      var label = document.createElementNS(SVG_NS, 'text');
      label.setAttribute('x', String(x)); label.setAttribute('y', String(y + 4)); label.setAttribute('text-anchor', 'middle');
      label.textContent = String(marker.number);
      var title = document.createElementNS(SVG_NS, 'title');
      title.textContent = marker.view.member + ' · ' + marker.view.source + ': ' + marker.view.state;
      group.appendChild(title); group.appendChild(circle); group.appendChild(label);
      group.addEventListener('click', function () { openFullChart(panels[marker.key]); });
      markerLayer.appendChild(group);
    });
  }
`;
