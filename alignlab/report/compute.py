"""The workflow results a report shows, computed by the report context once (sections only render them).

``ctx.result(name)`` returns the result given in the report options (``workflows.judge_validation``,
``workflows.vendor_audit``, ``workflows.trust_weights``: what :func:`alignlab.report.write` passes), or
computes it when the data supports it:

- ``"judge_validations"``: every LLM judge (at most four) against the humans, a list of
  :class:`~alignlab.workflows.JudgeValidation` or :class:`NotComputed`;
- ``"vendor_audit"``: when a ``vendor`` column has two or more vendors;
- ``"trust_weights"``: when there are two or more sources.

``None`` means the data has nothing for that result (no judge, no vendor column); :class:`NotComputed`
means it should have been computed and could not be, with the reason (an alignlab error: too few
humans, a degenerate table ...), which the section shows. A bug (any other exception) is not caught.
Options: ``workflows.judge`` (validate only this judge), ``workflows.n_resamples`` (default 500).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alignlab._params import AlignlabError
from alignlab.workflows import audit_vendors, trust_weights, validate_judge

if TYPE_CHECKING:
    from alignlab.report.core import ReportContext

__all__ = ["NotComputed", "compute_result", "MAX_JUDGES"]

#: judges validated in one report (the CLI's validate-judge does the others)
MAX_JUDGES = 4


@dataclass(frozen=True)
class NotComputed:
    """A result the report should show but could not compute, and why."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: not computed ({self.reason})"


def _n_resamples(ctx: ReportContext) -> int:
    return int(ctx.option("workflows.n_resamples", 500))


def _judge_validations(ctx: ReportContext) -> list[Any] | None:
    given = ctx.option("workflows.judge_validation")
    if given is not None:
        return [given]
    j = ctx.judgments
    if j is None:
        return None
    info = j.rater_info
    judges = info.loc[info["method"] == "llm_judge", "rater_id"].tolist()
    humans = info.loc[info["method"] == "human", "rater_id"].tolist()
    has_gold = "gold" in j.frame.columns and bool(j.frame["gold"].notna().any())
    if not judges or not (humans or has_gold):  # without humans, the judges are validated against gold
        return None
    chosen = ctx.option("workflows.judge")
    if chosen is not None:
        judges = [chosen]
    out: list[Any] = []
    for judge in judges[:MAX_JUDGES]:
        try:
            out.append(validate_judge(j, raters=str(judge), reference=humans or "gold", n_resamples=_n_resamples(ctx),
                                      random_state=ctx.random_state))
        except AlignlabError as exc:
            out.append(NotComputed(f"judge {judge}", str(exc)))
    if len(judges) > MAX_JUDGES:
        out.append(NotComputed(f"{len(judges) - MAX_JUDGES} more judges",
                               f"a report validates the first {MAX_JUDGES}; run `alignlab validate-judge "
                               "--raters NAME` for the others"))
    return out


def _vendor_audit(ctx: ReportContext) -> Any:
    given = ctx.option("workflows.vendor_audit")
    if given is not None:
        return given
    j = ctx.judgments
    if j is None or not j.has("vendor") or j.frame["vendor"].dropna().nunique() < 2:
        return None
    try:
        return audit_vendors(j, random_state=ctx.random_state)
    except AlignlabError as exc:
        return NotComputed("vendor audit", str(exc))


def _trust_weights(ctx: ReportContext) -> Any:
    given = ctx.option("workflows.trust_weights")
    if given is not None:
        return given
    j = ctx.judgments
    if j is None or not set(map(str, j.methods)) - {"human"} or j.n_raters < 2:
        return None
    try:
        return trust_weights(j, random_state=ctx.random_state)
    except AlignlabError as exc:
        return NotComputed("trust weights", str(exc))


_COMPUTE = {"judge_validations": _judge_validations, "vendor_audit": _vendor_audit,
            "trust_weights": _trust_weights}


def compute_result(ctx: ReportContext, name: str) -> Any:
    """The result ``name`` of this report, computed once (see the module docstring)."""
    if name not in _COMPUTE:
        raise KeyError(f"unknown report result {name!r}; known: {sorted(_COMPUTE)}")  # programming error
    return ctx.cached(f"workflows.{name}", lambda: _COMPUTE[name](ctx))
