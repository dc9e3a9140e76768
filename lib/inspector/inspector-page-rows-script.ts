/**
 * The inspector page's keyed table rows (a part of its script, see inspector-page-script.ts): a table body
 * keeps one row per key across renders, and a cell's text is written only when it changed. A row replaced
 * on every render costs the browser a layout of the whole table, and a click on a button in it can land
 * between the mousedown and the click on a row that is gone.
 */
export const ROWS_SCRIPT = `
  /**
   * Makes 'body' hold one row per item, in their order: the row of an item's key (keyOf) is kept from the
   * last render, else made (make); fill writes the item into it. Rows of keys gone are removed.
   */
  function syncRows(body, items, keyOf, make, fill) {
    var kept = body.__rows || {};
    var rows = {};
    items.forEach(function (item, index) {
      var key = keyOf(item);
      var row = kept[key] || make(item);
      rows[key] = row;
      fill(row, item);
      var at = body.children[index];
      if (at !== row) body.insertBefore(row, at || null);
    });
    while (body.children.length > items.length) body.removeChild(body.lastChild);
    body.__rows = rows;
  }
  /** Writes 'values' as the text of the row's first cells (made as needed), each only when it changed. */
  function setCells(row, values) {
    for (var i = 0; i < values.length; i++) {
      var cell = row.children[i] || row.appendChild(el('td'));
      setText(cell, text(values[i]));
    }
  }
  function setText(node, value) { if (node.textContent !== value) node.textContent = value; }
  /** The one row a body shows when it has nothing: a cell over 'span' columns saying so. */
  function syncEmpty(body, message, span) {
    syncRows(body, [message], function () { return '\\u0000empty'; }, function () { var row = el('tr'); var cell = el('td', 'empty'); cell.colSpan = span; row.appendChild(cell); return row; }, function (row) { setText(row.firstChild, message); });
  }
`;
