"""HTML building blocks for report sections. Every user-supplied string goes through :func:`esc`."""

from __future__ import annotations

import html as _html
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["esc", "table", "callout", "figure", "page", "paragraph", "bullet_list", "fmt", "metric_cards"]


def esc(value: Any) -> str:
    """Escape anything for HTML text and attribute context."""
    return _html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, digits: int = 3) -> str:
    """Format a cell: numbers with ``digits`` significant decimals, NaN as an empty string."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return ""
        if x != 0 and (abs(x) < 10 ** (-digits) or abs(x) >= 1e6):
            return f"{x:.{digits}g}"
        return f"{x:.{digits}f}"
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    digits: int = 3,
    max_rows: int = 200,
    sortable: bool = True,
    css_class: str = "",
) -> str:
    """A (sortable) HTML table; cells and headers are escaped."""
    shown = frame.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            numeric = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
            sort_key = f' data-v="{esc(repr(float(value)))}"' if numeric and not pd.isna(value) else ""
            cells.append(f'<td class="{"num" if numeric else "txt"}"{sort_key}>{esc(fmt(value, digits))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    classes = " ".join(c for c in ("data", "sortable" if sortable else "", css_class) if c)
    note = ""
    if len(frame) > max_rows:
        note = f'<p class="note">Showing {max_rows:,} of {len(frame):,} rows.</p>'
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="tablewrap"><table class="{classes}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{note}")


def callout(text: str, *, kind: str = "info") -> str:
    return f'<div class="callout {esc(kind)}">{esc(text)}</div>'


def paragraph(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def bullet_list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def metric_cards(cards: Sequence[tuple[str, str, str]]) -> str:
    """Cards of ``(label, value, note)``: the headline numbers of a section."""
    inner = "".join(
        f'<div class="card"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="cnote">{esc(note)}</div></div>'
        for label, value, note in cards
    )
    return f'<div class="cards">{inner}</div>'


def figure(svg: str, *, caption: str | None = None) -> str:
    """Wrap an inline SVG produced by :func:`alignlab.plot.to_svg` (already XML-escaped)."""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure>{svg}{cap}</figure>'


_CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#e3e6ec;--bg:#fbfbfd;--pass:#1e8e3e;--warn:#d98e04;--fail:#c5221f;--info:#1a73e8}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--ink);
background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
header h1{margin:0 0 4px;font-size:26px}.sub{color:var(--muted);margin:0 0 16px}
h2{font-size:20px;border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:32px}
nav{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0;font-size:14px}nav a{color:var(--info);text-decoration:none}
.decision{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 20px}
.decision h2{margin-top:4px;border:0}
.findings{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 16px;margin:8px 0}
.findings ul{margin:4px 0}
.verdict{display:flex;align-items:center;gap:12px;font-size:18px;margin:8px 0}
.light{width:22px;height:22px;border-radius:50%;flex:none;background:var(--info)}
.verdict.pass .light{background:var(--pass)}.verdict.warn .light{background:var(--warn)}.verdict.fail .light{background:var(--fail)}
li.pass::marker{color:var(--pass)}li.warn::marker{color:var(--warn)}li.fail::marker{color:var(--fail)}
.callout{border-left:4px solid var(--info);background:#fff;padding:8px 12px;margin:8px 0}
.callout.warn{border-color:var(--warn)}.callout.fail{border-color:var(--fail)}.callout.pass{border-color:var(--pass)}
.tablewrap{overflow-x:auto}table.data{border-collapse:collapse;font-size:13px;margin:8px 0;background:#fff}
table.data th,table.data td{border:1px solid var(--line);padding:4px 8px}table.data th{background:#f1f3f7;text-align:left}
table.sortable th{cursor:pointer}table.sortable th:after{content:" \\2195";color:#aab}
td.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;color:var(--muted);padding:4px 0}
.note{color:var(--muted);font-size:13px}figure{margin:12px 0}figure svg{width:100%;max-width:760px;height:auto}
figcaption{color:var(--muted);font-size:13px}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:170px}
.card .label{color:var(--muted);font-size:13px}.card .value{font-size:20px;font-weight:600}.card .cnote{color:var(--muted);font-size:12px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
"""

# Sortable tables without any library: click a header to sort by it (numbers by their data-v).
_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.dataset.asc!=='1';
      th.dataset.asc=asc?'1':'0';
      rows.sort(function(a,b){
        var x=a.cells[i],y=b.cells[i],vx=x.dataset.v,vy=y.dataset.v,r;
        if(vx!==undefined&&vy!==undefined){r=parseFloat(vx)-parseFloat(vy);}
        else{r=x.textContent.localeCompare(y.textContent);}
        return asc?r:-r;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
"""


def page(*, title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>\n{body}\n"
        f"<script>{_JS}</script></body></html>\n"
    )
