"""The HTML report's stylesheet and page scripts, as constants (no I/O, no logic).

Kept apart from :mod:`agentload.reports.html` so the renderer reads as
structure, not as a wall of CSS.
"""

from __future__ import annotations

__all__ = ["DRAW_JS", "ERRORS_JS", "STYLE"]

STYLE = """
:root {
  --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --soft: #f1f5f9; --bg: #f5f6fa;
  --card: #ffffff; --pass: #15803d; --fail: #dc2626; --warn: #b45309; --accent: #4f46e5;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 Inter, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.top {
  background: #0f172a; color: #e2e8f0; padding: 14px 32px; display: flex; gap: 24px;
  justify-content: space-between; align-items: baseline; flex-wrap: wrap;
}
.top .brand { font-weight: 800; color: #fff; letter-spacing: .02em; font-size: 16px; }
.top .kind { color: #94a3b8; margin-left: 8px; }
.top .where { color: #cbd5e1; font-size: 13px; word-break: break-all; }
main { max-width: 1400px; margin: 0 auto; padding: 24px 32px 40px; }
.verdict {
  border-radius: 14px; padding: 18px 24px; display: flex; align-items: center; gap: 20px;
  color: #fff; box-shadow: 0 1px 2px rgba(15, 23, 42, .08);
}
.verdict.passed { background: linear-gradient(120deg, #166534, #16a34a); }
.verdict.failed { background: linear-gradient(120deg, #991b1b, #dc2626); }
.verdict .badge { font-size: 30px; font-weight: 800; letter-spacing: .08em; }
.verdict .what { flex: 1; }
.verdict .headline { font-size: 16px; font-weight: 600; }
.verdict .detail { opacity: .9; font-size: 13px; }
.verdict .exit { font-size: 12px; opacity: .85; text-align: right; white-space: nowrap; }
.tag {
  display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px;
  font-weight: 600; margin-left: 8px; vertical-align: middle;
}
.verdict .tag { background: #fef3c7; color: #92400e; }
.kpis {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr));
  gap: 12px; margin: 16px 0;
}
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 12px;
  padding: 12px 16px; }
.kpi .label { font-size: 11px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .06em; font-weight: 600; }
.kpi .value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums;
  line-height: 1.3; }
.kpi .sub { font-size: 12px; color: var(--muted); }
.kpi.bad .value { color: var(--fail); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: 16px 20px; margin: 16px 0; }
.card h2 { font-size: 15px; margin: 0; }
.card .hint { margin: 2px 0 8px; color: var(--muted); font-size: 12px; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px;
  margin: 16px 0; }
.grid2 > .card { margin: 0; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
.chart { height: 330px; width: 100%; }
.chart.tall { height: 420px; }
.empty { color: var(--muted); padding: 40px 0; text-align: center; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th {
  font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  font-weight: 600; text-align: right; padding: 6px 10px; border-bottom: 1px solid var(--line);
  white-space: nowrap;
}
td { padding: 7px 10px; border-bottom: 1px solid var(--soft); text-align: right;
  white-space: nowrap; }
th.l, td.l { text-align: left; }
td.wrap { white-space: normal; word-break: break-word; }
tbody tr:hover td { background: #f8fafc; }
tr.total td { font-weight: 700; border-top: 2px solid var(--line); background: #fafbfc; }
.method {
  display: inline-block; font-size: 10px; font-weight: 700; letter-spacing: .04em;
  color: #3730a3; background: #eef2ff; border-radius: 4px; padding: 0 5px; margin-right: 6px;
}
.scn { color: var(--muted); }
.ok { color: var(--pass); } .bad { color: var(--fail); font-weight: 600; }
.pill { display: inline-block; border-radius: 999px; padding: 0 9px; font-weight: 700;
  font-size: 12px; }
.pill.ok { background: #dcfce7; } .pill.bad { background: #fee2e2; }
.muted { color: var(--muted); }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.meta { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
  gap: 4px 28px; margin: 8px 0 0; }
.meta div { padding: 6px 0; border-bottom: 1px solid var(--soft); }
.meta div.wide { grid-column: 1 / -1; }
.meta dt { color: var(--muted); font-size: 11px; text-transform: uppercase;
  letter-spacing: .05em; font-weight: 600; }
.meta dd { margin: 0; word-break: break-word; white-space: pre-line; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 32px 32px; }
@media print {
  body { background: #fff; } .top { background: #fff; color: var(--ink); }
  .card, .kpi { break-inside: avoid; }
}
"""

ERRORS_JS = """
(function () {
  // Every script error on the page lands in <html data-errors>, so a headless
  // browser check (and a curious human) can see that the report rendered cleanly.
  var root = document.documentElement, seen = [];
  function note(message) {
    seen.push(String(message));
    root.setAttribute("data-errors", seen.join(" | "));
  }
  window.agentloadNote = note;
  window.addEventListener("error", function (e) { note(e.message || "script error"); });
  window.addEventListener("unhandledrejection", function (e) {
    note("unhandled rejection: " + e.reason);
  });
  var original = console.error;
  console.error = function () {
    note(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
"""

DRAW_JS = """
(function () {
  var root = document.documentElement, drawn = 0, pending = [];
  function finish() { root.setAttribute("data-charts", String(drawn)); }
  if (typeof Plotly === "undefined") {
    window.agentloadNote("plotly.js did not load");
    finish();
    return;
  }
  var config = {responsive: true, displaylogo: false,
                modeBarButtonsToRemove: ["lasso2d", "select2d"]};
  document.querySelectorAll("div.chart[data-figure]").forEach(function (el) {
    try {
      var source = document.getElementById(el.getAttribute("data-figure"));
      var fig = JSON.parse(source.textContent);
      pending.push(Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
        drawn += 1;
      }));
    } catch (e) {
      window.agentloadNote("chart " + el.id + ": " + e);
    }
  });
  Promise.all(pending).then(finish, function (e) { window.agentloadNote(e); finish(); });
})();
"""
