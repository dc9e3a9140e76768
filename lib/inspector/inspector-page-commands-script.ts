/**
 * The inspector page's "Stuck now" lines and its commands (a part of its script, see
 * inspector-page-script.ts): the buttons it offers once a token is typed, live, and what each command got.
 */
export const COMMANDS_SCRIPT = `
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
  /** The command a partition's row offers now ('' for none): its button is made again only when it changes. */
  function partitionCommandOffered(view, p) {
    if (!mayCommand(view)) return '';
    return p.state === 'paused' ? 'resume' : p.state === 'idle' || p.state === 'processing' ? 'pause' : '';
  }
  function commandCell(view, p) {
    var cell = el('td');
    var type = partitionCommandOffered(view, p);
    if (!type) return cell;
    var button = el('button', '', type);
    button.setAttribute('data-command', type);
    button.addEventListener('click', function () { sendCommand(view, type, p.topic, p.partition); });
    cell.appendChild(button);
    return cell;
  }
  // This process's sources, and with a fleet every member's (the fleet's command topic carries them).
  function mayCommand(view) { return commandsOn && live && !replaying && !!tokenInput.value && (view.member === localMember || fleetOn); }
  /** Whether a source's panel offers drain and stop now (as text, compared from one render to the next). */
  function sourceCommandsOffered(view) {
    var state = view.state.split('.')[0];
    return String(mayCommand(view) && state !== 'idle' && state !== 'stopped' && state !== 'draining');
  }
  function sourceCommands(view) {
    var box = el('span', 'source-commands');
    if (sourceCommandsOffered(view) !== 'true') return box;
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
`;
