/**
 * The inspector page's Retries table of a server (a part of its script, see inspector-page-script.ts): what
 * it forwarded by failed attempt, what waits on each retry topic, and when the oldest waiting record is due.
 */
export const RETRIES_SCRIPT = `
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
`;
