/**
 * The dashboard's page: one self-contained HTML document (inline CSS, script and SVG chart; no
 * CDN, no external file) that polls `data.json` and draws it. Data is put in the page with
 * `textContent` and SVG attributes only, never as HTML.
 */

/** The page's script (constant, so the Content-Security-Policy can name its hash). */
export const DASHBOARD_SCRIPT = `
(function () {
  'use strict';
  var refresh = Number(document.body.getAttribute('data-refresh')) || 2000;
  var token = new URLSearchParams(location.search).get('token');
  var dataUrl = location.pathname.replace(/\\/?$/, '/') + 'data.json';
  var colors = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  var SVG = 'http://www.w3.org/2000/svg';
  var W = 720, H = 200, PAD = 36;
  function $(id) { return document.getElementById(id); }
  function svg(tag, attrs) { var e = document.createElementNS(SVG, tag); for (var k in attrs) e.setAttribute(k, String(attrs[k])); return e; }
  function cell(row, text, cls) { var td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; row.appendChild(td); return td; }
  function pct(x) { return (x * 100).toFixed(1) + '%'; }
  function ms(x) { return x === null || x === undefined ? '-' : x < 10 ? x.toFixed(2) + ' ms' : Math.round(x) + ' ms'; }
  function age(x) { return x < 1000 ? Math.round(x) + ' ms' : (x / 1000).toFixed(1) + ' s'; }
  function yes(x) { return x === undefined ? '-' : x ? 'yes' : 'no'; }
  function fill(id, rows, columns) {
    var body = $(id); body.textContent = '';
    if (rows.length === 0) { var tr = document.createElement('tr'); var td = cell(tr, 'none', 'none'); td.colSpan = columns; body.appendChild(tr); return; }
    rows.forEach(function (cells) { var tr = document.createElement('tr'); cells.forEach(function (c) { var td = cell(tr, c[0], c[1]); }); body.appendChild(tr); });
  }
  function chart(data) {
    var box = $('chart'); box.textContent = '';
    var s = svg('svg', { viewBox: '0 0 ' + (W + PAD + 8) + ' ' + (H + 28), width: '100%', role: 'img', 'aria-label': 'hit rate per method' });
    [0, 0.5, 1].forEach(function (v) {
      var y = 8 + (1 - v) * H;
      s.appendChild(svg('line', { x1: PAD, x2: PAD + W, y1: y, y2: y, stroke: '#e5e7eb' }));
      var t = svg('text', { x: PAD - 6, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }); t.textContent = (v * 100) + '%'; s.appendChild(t);
    });
    var minutes = Math.round(data.windowMs / 60000);
    var left = svg('text', { x: PAD, y: H + 24, 'font-size': 11, fill: '#6b7280' }); left.textContent = '-' + minutes + ' min'; s.appendChild(left);
    var right = svg('text', { x: PAD + W, y: H + 24, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }); right.textContent = 'now'; s.appendChild(right);
    var legend = $('legend'); legend.textContent = '';
    var total = 0;
    data.methods.forEach(function (m, i) {
      var color = colors[i % colors.length], n = m.series.length, points = [];
      m.series.forEach(function (b, j) {
        var reads = b.hits + b.misses; total += reads;
        if (reads === 0) return;
        var x = PAD + (n > 1 ? (j / (n - 1)) * W : W), y = 8 + (1 - b.hits / reads) * H;
        points.push(x.toFixed(1) + ',' + y.toFixed(1));
        s.appendChild(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, fill: color }));
      });
      if (points.length === 0) return;
      var line = svg('polyline', { points: points.join(' '), fill: 'none', stroke: color, 'stroke-width': 2.5, 'data-method': m.method, 'data-points': points.length });
      s.insertBefore(line, s.firstChild.nextSibling);
      var item = document.createElement('span'); item.className = 'key';
      var swatch = document.createElement('i'); swatch.style.background = color; item.appendChild(swatch);
      item.appendChild(document.createTextNode(m.method)); legend.appendChild(item);
    });
    s.setAttribute('data-reads', String(total));
    box.appendChild(s);
  }
  function render(data) {
    chart(data);
    fill('methods', data.methods.map(function (m) {
      return [[m.method, 'name'], [m.labels ? m.labels.kind : '-'], [m.labels ? m.labels.store : '-'], [m.hits + m.misses ? pct(m.hitRate) : '-'], [String(m.hits)], [String(m.misses)], [String(m.stale)], [String(m.errors), m.errors ? 'bad' : ''], [ms(m.load && m.load.p50)], [ms(m.load && m.load.p99)]];
    }), 10);
    fill('stores', data.stores.map(function (s) {
      return [[s.name, 'name'], [s.breaker || '-', s.breaker && s.breaker !== 'closed' ? 'bad' : ''], [yes(s.versionsTracked)], [yes(s.busSubscribed)], [s.entries === undefined ? '-' : String(s.entries)], [s.pendingOperations === undefined ? '-' : String(s.pendingOperations)]];
    }), 6);
    fill('writeBehind', data.writeBehind.map(function (q) {
      return [[q.method, 'name'], [String(q.pending)], [String(q.inFlight)], [age(q.oldestPendingAgeMs)], [String(q.retries)], [String(q.deadLetters), q.deadLetters ? 'bad' : '']];
    }), 6);
    fill('deadLetters', data.recentDeadLetters.map(function (d) {
      return [[new Date(d.at).toLocaleTimeString()], [d.method, 'name'], [d.key], [d.error]];
    }), 4);
  }
  function status(text, bad) { var e = $('status'); e.textContent = text; e.className = bad ? 'bad' : ''; }
  function poll() {
    fetch(dataUrl, { headers: token ? { authorization: 'Bearer ' + token } : {}, cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (data) { render(data); status('updated ' + new Date(data.generatedAt).toLocaleTimeString()); document.body.setAttribute('data-updates', String(Number(document.body.getAttribute('data-updates') || 0) + 1)); })
      .catch(function (e) { status('cannot load data: ' + e.message, true); })
      .then(function () { setTimeout(poll, refresh); });
  }
  poll();
})();
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #111827; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 20px 0 6px; }
#status { color: #6b7280; font-size: 12px; } .bad { color: #dc2626; font-weight: 600; }
table { border-collapse: collapse; min-width: 480px; } th, td { padding: 4px 10px; white-space: nowrap; border-bottom: 1px solid #e5e7eb; text-align: right; }
th { background: #f3f4f6; font-weight: 600; } th:first-child, td.name, td.none { text-align: left; } td.none { color: #9ca3af; }
#chart { max-width: 780px; } .key { margin-right: 14px; font-size: 12px; } .key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
`;

function table(id: string, columns: readonly string[]): string {
  return `<table><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody id="${id}"></tbody></table>`;
}

/** The page's HTML; `refreshMs` is how often it polls. */
export function dashboardPage(settings: { refreshMs: number }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>cachekit dashboard</title><style>${STYLE}</style></head>
<body data-refresh="${Math.round(settings.refreshMs)}">
<h1>cachekit</h1><div id="status">loading…</div>
<h2>Hit rate per method</h2><div id="chart"></div><div id="legend"></div>
<h2>Methods</h2>${table('methods', ['Method', 'Kind', 'Store', 'Hit rate', 'Hits', 'Misses', 'Stale', 'Errors', 'Loader p50', 'Loader p99'])}
<h2>Stores</h2>${table('stores', ['Store', 'Breaker', 'Versions tracked', 'Bus subscribed', 'Entries', 'Pending ops'])}
<h2>Write-behind</h2>${table('writeBehind', ['Method', 'Pending', 'In flight', 'Oldest', 'Retries', 'Dead letters'])}
<h2>Recent dead letters</h2>${table('deadLetters', ['Time', 'Method', 'Key', 'Error'])}
<script>${DASHBOARD_SCRIPT}</script>
</body></html>
`;
}
