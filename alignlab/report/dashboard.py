"""The dashboard: one self-contained HTML page across every feature kept in an alignlab.metrics Store.

It lives in the report layer (it renders, the metrics package computes); ``alignlab.metrics.build_dashboard``
imports it on first use.

Per feature: the north-star value of the latest run with its interval and trust grade, the change
against the previous run (:func:`alignlab.metrics.change_status`) and against target, the trend over the
last runs (a small multiple with the interval band, inline SVG) and, on click (``<details>``), the
diagnostics, guardrails and segments behind it. Inline CSS, SVG and a few lines of JS; no network.
Every string from the store (feature, metric, run labels, reasons) is escaped with
:func:`alignlab.report.html.esc`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from alignlab._params import DataError
from alignlab.metrics.status import latest_status
from alignlab.metrics.store import Store
from alignlab.report import html as h

__all__ = ["build_dashboard"]

_CSS = """
.feature{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 18px;margin:14px 0}
.feature h2{margin:0 0 4px;border:0;font-size:20px}.fhead{display:flex;flex-wrap:wrap;gap:18px;align-items:center}
.big{font-size:28px;font-weight:600}.ci{color:var(--muted);font-size:14px}
.grade{display:inline-block;border-radius:6px;padding:1px 8px;font-weight:700;color:#fff}
.grade.A{background:var(--pass)}.grade.B{background:var(--warn)}.grade.C{background:var(--fail)}
.status{display:inline-block;border-radius:12px;padding:1px 10px;font-size:13px;border:1px solid var(--line)}
.status.better{background:#e6f4ea;color:var(--pass)}.status.worse{background:#fce8e6;color:var(--fail)}
.status.same{background:#f1f3f4;color:var(--muted)}
.trend svg{width:340px;height:130px}details{margin-top:8px}summary{cursor:pointer;color:var(--info)}
.multiples{display:flex;flex-wrap:wrap;gap:8px}.multiples figure{margin:4px}
.headline li{margin:2px 0}.owner{color:var(--muted);font-size:13px}
"""
_STATUS_CLASS = {"better": "better", "worse": "worse", "no detectable change": "same"}


def _status_badge(status: str) -> str:
    return f'<span class="status {_STATUS_CLASS.get(status, "same")}">{h.esc(status)}</span>'


def _grade_badge(grade: Any, reason: Any = "") -> str:
    g = str(grade) if grade in ("A", "B", "C") else "C"
    return f'<span class="grade {g}" title="{h.esc(reason)}">{h.esc(g)}</span>'


def _num(value: Any) -> str:
    return h.fmt(value, 3)


def _interval(row: Any) -> str:
    if pd.isna(row["ci_low"]):
        return "no interval"
    return f"{float(row['confidence_level']):.0%} CI {_num(row['ci_low'])} to {_num(row['ci_high'])}"


def _trend_svg(series: pd.DataFrame, *, title: str) -> str:
    """Small multiple: estimates with their interval band over runs (inline SVG, escaped labels)."""
    width, height, left, right, top, bottom = 340, 130, 44, 10, 10, 28
    s = series.reset_index(drop=True)
    est = s["estimate"].astype(float)
    low = s["ci_low"].astype(float).fillna(est)
    high = s["ci_high"].astype(float).fillna(est)
    values = pd.concat([est, low, high]).dropna()
    target = s["target"].dropna()
    if len(target):
        values = pd.concat([values, target.iloc[-1:]])
    if values.empty:
        return f'<svg role="img" viewBox="0 0 {width} {height}"><title>{h.esc(title)}: no value</title></svg>'
    y0, y1 = float(values.min()), float(values.max())
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = 0.08 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad
    n = len(s)

    def x(i: int) -> float:
        return left + (width - left - right) * (0.5 if n == 1 else i / (n - 1))

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - y0) / (y1 - y0))

    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{h.esc(title)}</title>",
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#ccd"/>']
    ok = [i for i in range(n) if math.isfinite(est[i])]
    if ok:
        upper = " ".join(f"{x(i):.1f},{y(high[i]):.1f}" for i in ok)
        lower = " ".join(f"{x(i):.1f},{y(low[i]):.1f}" for i in reversed(ok))
        parts.append(f'<polygon class="band" points="{upper} {lower}" fill="#1a73e8" fill-opacity="0.15"/>')
        parts.append('<polyline class="line" fill="none" stroke="#1a73e8" stroke-width="2" points="'
                     + " ".join(f"{x(i):.1f},{y(est[i]):.1f}" for i in ok) + '"/>')
    if len(target):
        ty = y(float(target.iloc[-1]))
        parts.append(f'<line class="target" x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" '
                     f'stroke="#5b6475" stroke-dasharray="4 3"><title>target {h.esc(_num(target.iloc[-1]))}</title></line>')
    for i in ok:
        tip = f"{s['run_label'][i]}: {_num(est[i])} ({_num(low[i])} to {_num(high[i])})"
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(est[i]):.1f}" r="3.5" fill="#1a73e8"><title>{h.esc(tip)}</title></circle>')
    parts.append(f'<text x="{left - 4}" y="{y(y1 - pad) + 4:.1f}" font-size="10" text-anchor="end" fill="#5b6475">'
                 f"{h.esc(_num(y1 - pad))}</text>")
    parts.append(f'<text x="{left - 4}" y="{y(y0 + pad) + 4:.1f}" font-size="10" text-anchor="end" fill="#5b6475">'
                 f"{h.esc(_num(y0 + pad))}</text>")
    for i in sorted({0, n - 1}):
        anchor = "start" if (i == 0 and n > 1) else ("end" if n > 1 else "middle")
        parts.append(f'<text x="{x(i):.1f}" y="{height - 10}" font-size="10" text-anchor="{anchor}" fill="#5b6475">'
                     f"{h.esc(s['run_label'][i])}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _feature_block(feature: str, hist: pd.DataFrame, latest_rows: pd.DataFrame, owner: str, last: int,
                   anchor: str) -> tuple[str, dict[str, Any]]:
    north = latest_rows[(latest_rows["role"] == "north_star") & (latest_rows["segment"] == "all")].iloc[0]
    metric = north["metric"]
    empty = hist.iloc[:0]
    by_metric = {str(k): g for k, g in hist[hist["segment"] == "all"].groupby("metric", sort=False)}
    series = by_metric.get(str(metric), empty).tail(last)
    change = latest_status(series)
    diff = "" if not math.isfinite(change["difference"]) else f" ({change['difference']:+.3f} vs {change['previous']})"
    head = (f'<div class="fhead"><div><div class="owner">{h.esc(metric)}</div>'
            f'<div class="big">{h.esc(_num(north["estimate"]))}</div><div class="ci">{h.esc(_interval(north))}, '
            f'n = {h.esc(h.fmt(north["n"]))}</div></div>'
            f'<div>trust grade {_grade_badge(north["grade"], north["grade_reason"])}'
            f'<div class="note">{h.esc(north["grade_reason"])}</div></div>'
            f'<div>vs previous run: {_status_badge(change["status"])}{h.esc(diff)}'
            f'<div class="note">{h.esc(change["detail"])}</div>'
            f'vs target: <strong>{h.esc(north["target_status"])}</strong>'
            + (f' ({h.esc(_num(north["target"]))})' if pd.notna(north["target"]) else "")
            + f'</div><div class="trend">{_trend_svg(series, title=f"{feature}: {metric} over the last runs")}</div></div>')
    # diagnostics and guardrails behind it
    rows, provenance = [], []
    overall = latest_rows[latest_rows["segment"] == "all"]
    rank = {"north_star": 0, "diagnostic": 1, "guardrail": 2}
    overall = overall.iloc[overall["role"].map(rank).fillna(3).argsort(kind="stable")]
    for rec in overall.to_dict(orient="records"):
        st = latest_status(by_metric.get(str(rec["metric"]), empty))
        rows.append({"metric": rec["metric"], "role": rec["role"].replace("_", " "), "estimate": rec["estimate"],
                     "ci_low": rec["ci_low"], "ci_high": rec["ci_high"], "n": int(rec["n"]),
                     "effective n": rec["effective_n"], "grade": rec["grade"], "vs previous": st["status"],
                     "target": rec["target"], "vs target": rec["target_status"]})
        provenance.append({"metric": rec["metric"], "combine": rec["combine"], "sources": rec["sources"],
                           "weights": rec["weights"], "grade reason": rec["grade_reason"],
                           "interval": rec["ci_method"], "warnings": rec["warnings"]})
    behind = h.table(pd.DataFrame(rows), caption="Every metric of the latest run (overall)")
    behind += h.table(pd.DataFrame(provenance), caption="Where each number comes from", sortable=False)
    multiples = []
    for rec in overall[overall["role"] != "north_star"].to_dict(orient="records"):
        s = by_metric.get(str(rec["metric"]), empty).tail(last)
        label = f"{rec['role'].replace('_', ' ')}: {rec['metric']} (grade {rec['grade']})"
        multiples.append(f'<figure class="trend">{_trend_svg(s, title=f"{feature}: {label}")}'
                         f"<figcaption>{h.esc(label)}</figcaption></figure>")
    behind += f'<div class="multiples">{"".join(multiples)}</div>' if multiples else ""
    segs = latest_rows[latest_rows["segment"] != "all"]
    seg_html = ""
    if len(segs):
        cols = ["metric", "segment", "estimate", "ci_low", "ci_high", "n", "grade", "vs target"]
        frame = segs.assign(**{"vs target": segs["target_status"]})[cols]
        seg_html = h.table(frame.reset_index(drop=True), caption="By segment (latest run)", max_rows=400)
    history_cols = ["run_label", "run_date", "estimate", "ci_low", "ci_high", "n", "grade"]
    shown = series[history_cols].reset_index(drop=True)
    shown["run_date"] = pd.to_datetime(shown["run_date"]).dt.strftime("%Y-%m-%d")
    history_html = h.table(shown, caption=f"{metric}: runs shown")
    body = (f'<section class="feature" id="{h.esc(anchor)}"><h2>{h.esc(feature)}</h2>'
            f'<div class="owner">{h.esc(owner)}</div>{head}'
            f"<details><summary>Diagnostics, guardrails and segments behind it</summary>{behind}{seg_html}"
            f"{history_html}</details></section>")
    return body, {"feature": feature, "metric": metric, "estimate": north["estimate"], "grade": north["grade"],
                  "grade_reason": north["grade_reason"], "status": change["status"], "detail": change["detail"],
                  "difference": change["difference"], "target_status": north["target_status"],
                  "run_label": north["run_label"], "anchor": anchor}


def build_dashboard(store: Store | str | Path, out: str | Path | None = None, *, last: int = 12,
                    title: str = "Evaluation dashboard") -> str:
    """Render the dashboard of every feature in ``store``; write ``out/index.html`` when ``out`` is given.

    Parameters
    ----------
    store : Store or path
    out : path, optional
        A directory (``index.html`` is written into it) or an ``.html`` file.
    last : int
        Runs shown in each trend.

    Returns
    -------
    str
        The page.
    """
    store = store if isinstance(store, Store) else Store(store)
    runs = store.runs()
    if runs.empty:
        raise DataError(f"The store {store.path!r} has no run yet; write one with alignlab metrics compute.")
    hist = store.history(segment=None)
    hist = hist.sort_values(["run_date", "created_at"], kind="stable")
    owners = _owners(store)
    import json

    ordered = [f for text in runs["features"][::-1] for f in json.loads(text or "[]")]
    present = set(hist["feature"].astype(str))
    features = [f for f in dict.fromkeys([*ordered, *hist["feature"].astype(str).unique()]) if f in present]
    by_feature = {str(k): g for k, g in hist.groupby("feature", sort=False)}
    latest_ids = sorted({str(g["run_id"].iloc[-1]) for g in by_feature.values()})
    latest_all = store.sql("SELECT * FROM metric_rows WHERE list_contains(?, run_id)", [latest_ids])
    blocks, summary = [], []
    for k, feature in enumerate(features):
        fh = by_feature[feature]
        last_run = fh["run_id"].iloc[-1]
        latest_rows = latest_all[(latest_all["run_id"] == last_run) & (latest_all["feature"] == feature)]
        latest_rows = latest_rows.merge(
            fh[["run_id", "run_label"]].drop_duplicates(), on="run_id", how="left")
        block, info = _feature_block(feature, fh, latest_rows,
                                     owners.get(feature, ""), last, f"f{k}")
        blocks.append(block)
        summary.append(info)
    overview = pd.DataFrame([{"feature": s["feature"], "north star": s["metric"], "latest run": s["run_label"],
                              "value": s["estimate"], "vs previous": s["status"], "change": s["difference"],
                              "vs target": s["target_status"], "grade": s["grade"]} for s in summary])
    moved = [s for s in summary if s["status"] in ("better", "worse")]
    lines = []
    for s in sorted(moved, key=lambda s: s["status"] != "worse"):
        trust = {"A": "trustworthy (grade A)", "B": "PPI-corrected judge (grade B)",
                 "C": "not validated (grade C): confirm with humans before acting"}.get(str(s["grade"]), "")
        delta = f"{s['difference']:+.3f}"
        lines.append(f'<li><a href="#{h.esc(s["anchor"])}">{h.esc(s["feature"])}</a>: '
                     f'{_status_badge(s["status"])} {h.esc(s["metric"])} {h.esc(delta)}; '
                     f'{_grade_badge(s["grade"], s["grade_reason"])} {h.esc(trust)}</li>')
    if not lines:
        lines.append("<li>No north-star metric changed detectably since the previous run.</li>")
    latest = runs.iloc[-1]
    header = (f"<header><h1>{h.esc(title)}</h1><p class='sub'>{len(features)} features, {len(runs)} runs; latest run "
              f"{h.esc(latest['label'])} ({h.esc(str(latest['run_date'])[:10])}), spec {h.esc(latest['spec_hash'])}"
              "</p></header>")
    nav = "<nav>" + "".join(f'<a href="#{h.esc(s["anchor"])}">{h.esc(s["feature"])}</a>' for s in summary) + "</nav>"
    headline = (f'<div class="decision headline"><h2>What moved since the previous run</h2><ul>{"".join(lines)}</ul>'
                f"{h.table(overview, caption='North-star metrics, latest run of each feature')}"
                "<p class='note'>Status: the difference with the previous run and its normal interval "
                "(better / worse when the interval excludes 0 and the change reaches the minimum meaningful change). "
                "Grades: A humans or a judge validated as replace; B judge corrected with PPI; C not validated.</p></div>")
    footer = (f"<footer><p>alignlab {h.esc(latest['alignlab_version'])}; store {h.esc(store.path)}; "
              "built offline (inline CSS, SVG, no network).</p></footer>")
    page = h.page(title=title, body=f"<style>{_CSS}</style>{header}{nav}{headline}{''.join(blocks)}{footer}")
    if out is not None:
        target = Path(out)
        if target.suffix.lower() not in (".html", ".htm"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    return page


def _owners(store: Store) -> dict[str, str]:
    """Feature owners from the latest spec stored (``runs.spec_json``)."""
    import json

    frame = store.sql("SELECT spec_json FROM runs ORDER BY run_date, created_at")
    owners: dict[str, str] = {}
    for text in frame["spec_json"]:
        try:
            for f in json.loads(text).get("features", []):
                owners[str(f.get("name"))] = str(f.get("owner", ""))
        except (TypeError, ValueError):
            continue
    return owners
