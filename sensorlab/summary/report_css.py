"""The report's inline stylesheet, with the shared colours of :mod:`sensorlab.summary.style`."""

from __future__ import annotations

from string import Template

from sensorlab.summary import style

_CSS = Template(
    """
:root {
  --left: $left; --right: $right; --ink: #1d232a; --muted: #5f6b76; --faint: #8a96a3;
  --line: #e3e7ec; --bg: #f4f6f8; --ok: $ok; --border: $borderline; --warn: $warning;
  --ok-zone: $ok_zone; --border-zone: $borderline_zone; --warn-zone: $warning_zone;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
        "DejaVu Sans", Arial, sans-serif;
}
main { max-width: 1080px; margin: 0 auto; padding: 28px 24px 40px; }
header.top { padding: 4px 4px 8px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px;
          color: var(--muted); font-weight: 600; }
h1 { font-size: 28px; line-height: 1.2; margin: 4px 0 10px; font-weight: 700; }
h1 .src { color: var(--muted); font-weight: 400; font-size: 20px; }
h2 { font-size: 19px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.lede { color: var(--muted); margin: 0 0 14px; font-size: 14px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; color: var(--muted);
        font-size: 14px; }
.meta div { display: flex; gap: 6px; }
.meta dt { font-weight: 600; color: var(--ink); }
.meta dd { margin: 0; }
section { background: #fff; border: 1px solid var(--line); border-radius: 12px;
          padding: 22px 26px 24px; margin: 18px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0 18px; }
.card { flex: 1 1 140px; border: 1px solid var(--line); border-top: 4px solid var(--faint);
        border-radius: 8px; padding: 10px 14px 10px; background: #fbfcfd; }
.card.left { border-top-color: var(--left); }
.card.right { border-top-color: var(--right); }
.card .value { font-size: 26px; font-weight: 700; line-height: 1.15; white-space: nowrap;
               font-variant-numeric: tabular-nums; }
.card.left .value { color: var(--left); }
.card.right .value { color: var(--right); }
.card.gap { border-top-color: var(--warn); }
.card.gap .value { color: var(--warn); }
.card .value small { font-size: 14px; font-weight: 600; color: var(--muted); }
.card .label { font-size: 13px; color: var(--muted); }
.findings { list-style: none; margin: 0 0 20px; padding: 0; }
.findings li { display: flex; gap: 12px; align-items: flex-start; padding: 10px 14px;
               border-radius: 8px; margin: 0 0 8px; background: #f7f8fa;
               border-left: 4px solid var(--faint); }
.findings li.notable { background: #fdf4f7; border-left-color: var(--warn); }
.findings li.borderline { background: #fdf8ec; border-left-color: var(--border); }
.findings li.balanced { background: #f1f8f3; border-left-color: var(--ok); }
.findings p { margin: 0; }
.findings .obs { font-weight: 600; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px;
         font-weight: 700; letter-spacing: .02em; white-space: nowrap; color: #fff;
         background: var(--faint); margin-top: 2px; }
.badge.notable { background: var(--warn); }
.badge.borderline { background: var(--border); }
.badge.balanced { background: var(--ok); }
.noise { display: block; font-size: 11px; line-height: 1.25; color: var(--muted);
         max-width: 96px; margin-top: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .04em;
     color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line);
     vertical-align: bottom; line-height: 1.25; }
th small { text-transform: none; letter-spacing: 0; font-weight: 400; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.l { color: var(--left); font-weight: 700; }
td.r { color: var(--right); font-weight: 700; }
td.l small, td.r small { color: var(--faint); font-weight: 400; }
th.l { color: var(--left); } th.r { color: var(--right); }
.compare td.metric { line-height: 1.3; }
.compare td.metric .help { display: block; color: var(--faint); font-size: 12px; }
.compare td.bar { width: 232px; padding-top: 2px; padding-bottom: 0; }
.compare th.bar { font-size: 11px; text-transform: none; letter-spacing: 0; }
.compare th.bar span { display: inline-block; width: 50%; white-space: nowrap; }
.compare th.bar .lside { color: var(--left); text-align: left; }
.compare th.bar .rside { color: var(--right); text-align: right; }
.si { font-weight: 700; }
.side { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; }
.dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
.dot.left { background: var(--left); } .dot.right { background: var(--right); }
.dot.both { background: var(--muted); }
.table-wrap { overflow-x: auto; }
.data th, .data td { padding: 6px 8px; }
.data th, .data th.num { white-space: normal; font-size: 11.5px; }
.data td { font-size: 13.5px; }
.data tbody tr:nth-child(even) { background: #fafbfc; }
ul.cal-notes { margin: 10px 0 0; padding-left: 18px; color: var(--muted); font-size: 13.5px; }
.data tbody tr.set-start td { border-top: 2px solid #cdd4db; }
.data tbody tr.gap td { color: var(--muted); font-style: italic; }
.data tbody tr.gap td .side { font-style: normal; }
.gap-mark { color: var(--warn); font-weight: 700; font-style: normal; margin-right: 3px; }
.gap-legend { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
.gap-note { margin: 6px 0 12px; padding: 8px 12px; background: #fbf3f6;
            border-left: 4px solid var(--warn); border-radius: 4px; }
figure { margin: 8px 0 4px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
details { margin-top: 10px; }
details summary { cursor: pointer; font-weight: 600; color: var(--ink); padding: 6px 0; }
.note { color: var(--muted); font-size: 13px; }
.q-good { color: var(--ok); font-weight: 700; }
.q-fair { color: var(--border); font-weight: 700; }
.q-poor { color: var(--warn); font-weight: 700; }
.qbar { display: inline-block; width: 64px; height: 7px; background: #e9edf1;
        border-radius: 4px; vertical-align: middle; margin-right: 8px; overflow: hidden; }
.qbar i { display: block; height: 100%; }
ul.warnings { margin: 8px 0 0; padding: 0; list-style: none; }
ul.warnings li { padding: 7px 12px; border-left: 4px solid var(--warn); background: #fbf3f6;
                 margin-bottom: 6px; border-radius: 4px; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 13.5px; padding: 8px 26px; }
footer h2 { font-size: 15px; color: var(--ink); }
footer dl { display: grid; grid-template-columns: 170px 1fr; gap: 4px 16px; margin: 8px 0; }
footer dt { font-weight: 600; color: var(--ink); }
footer dd { margin: 0; }
footer .disclaimer { margin-top: 12px; padding: 10px 14px; background: #eef1f4;
                     border-radius: 8px; color: var(--ink); }
@media (max-width: 720px) {
  main { padding: 14px 10px; } section { padding: 16px 14px; }
  .compare td.bar, .compare th.bar { display: none; }
  footer dl { grid-template-columns: 1fr; }
}
@media print {
  body { background: #fff; font-size: 12px; } main { max-width: none; padding: 0; }
  section { border: none; padding: 8px 0; break-inside: avoid; }
  details > *:not(summary) { display: block; }
}
"""
)


def report_css() -> str:
    """The stylesheet with the project colours filled in."""
    return _CSS.substitute(
        left=style.LEFT_COLOR,
        right=style.RIGHT_COLOR,
        ok=style.OK_COLOR,
        borderline=style.BORDERLINE_COLOR,
        warning=style.WARNING_COLOR,
        ok_zone=style.NEUTRAL_ZONE_COLOR,
        borderline_zone=style.BORDERLINE_ZONE_COLOR,
        warning_zone=style.WARNING_ZONE_COLOR,
    ).strip()
