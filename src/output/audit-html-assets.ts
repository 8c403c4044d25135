/**
 * The audit report's only style sheet and script, inline, and the Content-Security-Policy that
 * lets exactly these two run: `default-src 'none'` forbids every fetch (images, fonts, frames,
 * connections), and the style and script are allowed by their SHA-256 hash (CSP Level 2 §4.2),
 * computed when the page is rendered, so neither `'unsafe-inline'` nor any markup a hostile
 * server smuggled in could run. The page uses no `style=` attributes and no event-handler
 * attributes, which a hash does not cover.
 */
import { createHash } from 'node:crypto';

/** REPORT_CSS: compact, system fonts, light and dark by prefers-color-scheme. */
export const REPORT_CSS = `:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mute:#59636e;--line:#d1d9e0;--alt:#f6f8fa;--high:#cf222e;--medium:#bc4c00;--low:#9a6700;--info:#0969da;--good:#1a7f37;--bar:#818b98}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9198a1;--line:#3d444d;--alt:#151b23;--high:#ff7b72;--medium:#ffa657;--low:#d29922;--info:#58a6ff;--good:#3fb950;--bar:#656c76}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0 auto;max-width:1400px;padding:1rem 1.5rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line)}
.meta,.mute{color:var(--mute)}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{margin:.3rem 0;padding:.4rem .6rem;background:var(--alt);border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere}
.charts{display:flex;flex-wrap:wrap;gap:1rem 2.5rem}figure{margin:0}.charts svg{width:100%;max-width:560px;height:auto}
svg text{fill:var(--fg);font:12px system-ui,sans-serif}svg .track{fill:var(--alt);stroke:var(--line)}svg .bar{fill:var(--bar)}
svg .high{fill:var(--high)}svg .medium{fill:var(--medium)}svg .low{fill:var(--low)}svg .info{fill:var(--info)}
table{border-collapse:collapse;width:100%}th,td{padding:.2rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
#sites,#sites thead,#sites tbody{display:block}#sites thead{position:sticky;top:0;z-index:1;background:var(--bg)}
#sites tr{display:grid;grid-template-columns:minmax(9rem,2fr) 7.5rem minmax(9rem,3fr) 6.5rem 7.5rem 5rem 6rem 5.5rem 5rem}
#sites tbody tr{content-visibility:auto;contain-intrinsic-size:auto 1.9rem}#sites td,#sites th{overflow-wrap:anywhere}
#sites thead th{white-space:nowrap}#sites tbody tr:nth-child(even){background:var(--alt)}
th button{all:inherit;cursor:pointer;padding:0}th button:focus-visible{outline:2px solid var(--info)}
th[aria-sort=ascending] button::after{content:" \\25b4"}th[aria-sort=descending] button::after{content:" \\25be"}
td.n{text-align:right}#worst td:nth-child(2){min-width:9rem}#worst td:nth-child(1),#worst td:nth-child(3){white-space:nowrap}.b{color:var(--high);font-weight:600}.w{color:var(--medium)}.g{color:var(--good)}
.high{color:var(--high);font-weight:600}.medium{color:var(--medium);font-weight:600}.low{color:var(--low)}.info{color:var(--info)}
.controls{display:flex;gap:.75rem;align-items:center;margin:.5rem 0}.controls input{min-width:18rem}
input,select{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:.2rem .4rem}
#evidence>details,#shared>details{content-visibility:auto;contain-intrinsic-size:auto 2.2rem}
details{border:1px solid var(--line);border-radius:4px;margin:.3rem 0;padding:.2rem .6rem}details[open]{padding-bottom:.6rem}
summary{cursor:pointer}details:target{outline:2px solid var(--info)}
.addr{border-left:3px solid var(--line);margin:.6rem 0 .2rem;padding-left:.7rem}.addr h4{margin:.2rem 0;font:600 12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
ul.f{margin:.3rem 0;padding-left:1.2rem}ul.f li{margin:.1rem 0}
`;

/**
 * REPORT_SCRIPT: sorting and filtering of the sites table. The rows are in the HTML already (the
 * page reads without JavaScript); this script turns the headers into sort buttons, shows the
 * filter controls, and opens the `<details>` a link points at. Written for 10,000 rows: the
 * row texts are read once, a filter only toggles `hidden`, a sort re-appends rows in one fragment.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var table = document.getElementById('sites');
  if (!table) return;
  var body = table.tBodies[0];
  var RANK = { '': 0, info: 1, low: 2, medium: 3, high: 4 };
  var rows = Array.prototype.map.call(body.rows, function (tr) {
    var a = tr.querySelector('a');
    return { tr: tr, text: tr.textContent.toLowerCase(), sev: RANK[tr.getAttribute('data-w') || ''] || 0,
      details: a ? document.getElementById(a.getAttribute('href').slice(1)) : null };
  });
  var q = document.getElementById('q'), sev = document.getElementById('sev');
  var shown = document.getElementById('shown');
  document.getElementById('controls').hidden = false;
  function apply() {
    var terms = q.value.toLowerCase().split(/\\s+/).filter(Boolean), min = sev.value, n = 0;
    rows.forEach(function (r) {
      var ok = terms.every(function (t) { return r.text.indexOf(t) >= 0; }) &&
        (min === '' || (min === 'none' ? r.sev === 0 : r.sev >= RANK[min]));
      r.tr.hidden = !ok;
      if (r.details) r.details.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' sites shown';
    shown.setAttribute('data-for', q.value + '|' + sev.value);
  }
  var timer = 0;
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, rows.length > 2000 ? 150 : 0); });
  sev.addEventListener('change', apply);
  function key(r, col, type) {
    if (r.keys && col in r.keys) return r.keys[col];
    var cell = r.tr.cells[col], t = cell ? cell.textContent : '', k;
    if (type === 'num') k = Number(t) || 0;
    else if (type === 'sev') k = RANK[t] || 0;
    else k = t.toLowerCase();
    (r.keys = r.keys || {})[col] = k;
    return k;
  }
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var button = document.createElement('button');
    button.type = 'button';
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      var type = th.getAttribute('data-type') || 'text';
      if (type !== 'text' && !th.hasAttribute('aria-sort')) dir = -1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var keyed = rows.map(function (r, i) { return { r: r, k: key(r, col, type), i: i }; });
      keyed.sort(function (a, b) {
        var c = a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
        return c * dir || a.i - b.i;
      });
      rows = keyed.map(function (x) { return x.r; });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r.tr); });
      body.appendChild(frag);
    });
  });
  function openTarget() {
    var el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (el && el.tagName === 'DETAILS') el.open = true;
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  shown.textContent = rows.length + ' sites';
})();
`;

/** sha256Source: the CSP source expression allowing exactly `text` inline ('sha256-…'). */
export function sha256Source(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * contentSecurityPolicy: the policy for a page whose only style and script are `css` and `js`:
 * nothing may be fetched, framed, submitted or used as a base URL. (A meta policy cannot set
 * frame-ancestors; a saved file has no headers to carry one.)
 */
export function contentSecurityPolicy(css: string, js: string): string {
  return [
    "default-src 'none'",
    `style-src ${sha256Source(css)}`,
    `script-src ${sha256Source(js)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
