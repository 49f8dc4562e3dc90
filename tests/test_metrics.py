"""alignlab.metrics: spec round-trips and errors, computed rows against the modules they call, trust grades
on seeded simulations, the append-only store under concurrent and killed writers, the dashboard in Chromium."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from alignlab import load_judgments
from alignlab.alignment import ppi_estimate
from alignlab.metrics import (
    HISTORY_COLUMNS,
    METRIC_COLUMNS,
    Feature,
    Metric,
    Population,
    Run,
    Spec,
    SpecError,
    Store,
    StoreError,
    StoreVersionError,
    change_status,
    compute,
    load_spec,
    metrics_summary,
)
from alignlab.metrics.examples import load_release, spec_path
from alignlab.report import build_dashboard
from alignlab.sampling import reweighted_metric
from alignlab.workflows import trust_weights
from alignlab.workflows.simulate import simulate_judge_study
from tests.browser import requires_chromium, visit

ROOT = Path(__file__).resolve().parents[1]
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def example_spec() -> Spec:
    return load_spec(spec_path())


@pytest.fixture(scope="module")
def release4() -> dict:
    return load_release("2025.4")


@pytest.fixture(scope="module")
def result4(example_spec, release4):
    return compute(example_spec, release4, run=Run("2025.4", date="2025-10-15"), n_resamples=200)


def _row(result, metric: str, segment: str = "all") -> pd.Series:
    t = result.to_frame()
    match = t[(t["metric"] == metric) & (t["segment"] == segment)]
    assert len(match) == 1, (metric, segment)
    return match.iloc[0]


# -- the spec ----------------------------------------------------------------------------------------------
SMALL_TOML = """
name = "small"
confidence_level = 0.9

[[features]]
name = "summarise"
owner = "team-a"
data = "d"

[features.north_star]
name = "helpful pass rate"
statistic = "pass_rate"
threshold = 4
combine = "ppi"
humans = ["human"]
judges = ["judge-1"]
segments = ["locale"]
target = 0.8
min_change = 0.05

[[features.diagnostics]]
name = "refusal rate"
statistic = "label_rate"
label = "refusal"
combine = "judge"
judges = "judge-1"
higher_is_better = false
where = { locale = ["en", "de"] }

[[features.guardrails]]
name = "mean"
combine = "human"
humans = ["human"]
population = { production = "traffic.csv", segments = ["locale"], weights = "n" }
"""

SMALL_YAML = """
name: small
confidence_level: 0.9
features:
  - name: summarise
    owner: team-a
    data: d
    north_star:
      name: helpful pass rate
      statistic: pass_rate
      threshold: 4
      combine: ppi
      humans: [human]
      judges: [judge-1]
      segments: [locale]
      target: 0.8
      min_change: 0.05
    diagnostics:
      - name: refusal rate
        statistic: label_rate
        label: refusal
        combine: judge
        judges: judge-1
        higher_is_better: false
        where: {locale: [en, de]}
    guardrails:
      - name: mean
        combine: human
        humans: [human]
        population: {production: traffic.csv, segments: [locale], weights: n}
"""

SMALL_PYTHON = Spec(
    name="small", confidence_level=0.9,
    features=(Feature(
        name="summarise", owner="team-a", data="d",
        north_star=Metric(name="helpful pass rate", statistic="pass_rate", threshold=4.0, combine="ppi",
                          humans=("human",), judges=("judge-1",), segments=("locale",), target=0.8, min_change=0.05),
        diagnostics=(Metric(name="refusal rate", statistic="label_rate", label="refusal", combine="judge",
                            judges=("judge-1",), higher_is_better=False, where={"locale": ["en", "de"]}),),
        guardrails=(Metric(name="mean", combine="human", humans=("human",),
                           population=Population("traffic.csv", ("locale",), weights="n")),),
    ),),
)


def test_spec_round_trips_toml_yaml_python(tmp_path) -> None:
    (tmp_path / "s.toml").write_text(SMALL_TOML)
    (tmp_path / "s.yaml").write_text(SMALL_YAML)
    from_toml, from_yaml = load_spec(tmp_path / "s.toml"), load_spec(tmp_path / "s.yaml")
    assert from_toml == from_yaml == SMALL_PYTHON
    assert from_toml.hash == from_yaml.hash == SMALL_PYTHON.hash
    assert Spec.from_dict(SMALL_PYTHON.to_dict()) == SMALL_PYTHON
    # the shipped example: TOML and its YAML twin are the same spec
    assert load_spec(spec_path("toml")) == load_spec(spec_path("yaml"))


def test_spec_problems_are_all_reported_at_once(tmp_path) -> None:
    bad = SMALL_TOML.replace('combine = "ppi"', 'combine = "ppii"').replace("target = 0.8", "target = 80") \
        .replace('statistic = "label_rate"', 'statistic = "label_rate"\nthreshold = 3') \
        .replace('owner = "team-a"', 'owner = "team-a"\nowners = "x"') \
        .replace("min_change = 0.05", "min_change = -1")
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    problems = {p.key: p for p in info.value.problems}
    assert set(problems) >= {"features[0].north_star.combine", "features[0].north_star.target",
                             "features[0].owners", "features[0].north_star.min_change",
                             "features[0].diagnostics[0].threshold"}
    assert problems["features[0].owners"].fix == "did you mean 'owner'?"
    assert problems["features[0].north_star.combine"].value == "ppii"
    assert all(p.file == str(path) for p in info.value.problems)
    text = str(info.value)
    assert "bad.toml" in text and "Fix:" in text and f"{len(info.value.problems)} problems" in text
    with pytest.raises(SpecError, match="no north-star metric"):
        Spec.from_dict({"features": [{"name": "x"}]})
    (tmp_path / "broken.toml").write_text("name = ")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(tmp_path / "broken.toml")


def test_spec_against_data_reports_every_problem(release4) -> None:
    spec = Spec(features=(Feature(
        name="story", north_star=Metric(name="q", statistic="pass_rate", combine="ppi", humans=("human",),
                                        judges=("Beluga-14B",), threshold=9.0),
        diagnostics=(Metric(name="w", statistic="win_rate", combine="human", humans=("humans",)),
                     Metric(name="m", combine="human", humans=("human",), segments=("locale",), target=7.0),
                     Metric(name="p", statistic="pass_rate", combine="human", humans=("human",))),
    ), Feature(name="missing", north_star=Metric(name="m", combine="human", humans=("human",)))))
    with pytest.raises(SpecError) as info:
        compute(spec, release4)
    keys = {p.key: p for p in info.value.problems}
    assert "'Beluga-13B'" in keys["features[0].north_star.judges"].fix  # unknown source, with the close name
    assert "outside the scale" in keys["features[0].north_star.threshold"].problem
    assert "pairwise" in keys["features[0].diagnostics[0].statistic"].problem
    assert keys["features[0].diagnostics[0].humans"].value == "humans"
    assert keys["features[0].diagnostics[1].segments"].value == "locale"
    assert "outside the scale" in keys["features[0].diagnostics[1].target"].problem
    assert "needs the passing score" in keys["features[0].diagnostics[2].threshold"].problem
    assert keys["features[1].data"].value == "missing"


# -- computed rows equal the modules they call ---------------------------------------------------------------
def test_ppi_rows_equal_ppi_estimate(result4, release4) -> None:
    story = release4["story"]
    row = _row(result4, "quality")
    ref = ppi_estimate(story, raters="Beluga-13B", reference="human", target="mean", random_state=0)
    assert row["estimate"] == pytest.approx(ref.estimate, rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref.ci_low, ref.ci_high), rel=1e-12)
    assert row["effective_n"] == pytest.approx(ref.effective_n, rel=1e-12)
    assert row["grade"] == "B" and row["n"] == ref.n_items
    coherence = story.subset(items=list(story.item_info.loc[story.item_info["criterion"] == "Coherence", "item_id"]))
    seg = _row(result4, "quality", "criterion=Coherence")
    ref_seg = ppi_estimate(coherence, raters="Beluga-13B", reference="human", random_state=0)
    assert (seg["estimate"], seg["ci_low"], seg["ci_high"]) == pytest.approx(
        (ref_seg.estimate, ref_seg.ci_low, ref_seg.ci_high), rel=1e-12)
    passed = _row(result4, "coherence pass rate")
    ref_pass = ppi_estimate(coherence, raters="Beluga-13B", reference="human", target="pass_rate", threshold=3,
                            random_state=0)
    assert (passed["estimate"], passed["ci_low"], passed["ci_high"]) == pytest.approx(
        (ref_pass.estimate, ref_pass.ci_low, ref_pass.ci_high), rel=1e-12)


def test_human_rows_equal_statsmodels(result4, release4) -> None:
    chat = release4["chat"]
    frame = chat.frame[chat.frame["method"] == "human"]
    p_a = frame["value"].map({"A": 1.0, "tie": 0.5, "B": 0.0})
    # the release's model is system_b against opt-7b in 'opt-7b_pythia-6.9b': its win = 1 - P(A)
    won = (1 - p_a).groupby(frame["item_id"]).mean()
    row = _row(result4, "win rate vs opt-7b")
    low, high = DescrStatsW(won.to_numpy()).zconfint_mean(alpha=0.05)
    assert row["estimate"] == pytest.approx(won.mean(), rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-9)
    assert row["grade"] == "A" and row["n"] == len(won)
    ties = (frame["value"] == "tie").astype(float).groupby(frame["item_id"]).mean()
    assert _row(result4, "tie rate")["estimate"] == pytest.approx(ties.mean(), rel=1e-12)
    # 0/1 outcomes: the Wilson interval of statsmodels
    wmt = release4["translation"].frame
    major = (wmt.groupby("item_id")["value"].mean() >= 5).astype(int)
    row = _row(result4, "major-error share")
    wl, wh = proportion_confint(major.sum(), len(major), alpha=0.05, method="wilson")
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx((major.mean(), wl, wh), rel=1e-12)
    assert row["ci_method"].startswith("wilson")


def test_population_and_trust_weighted_rows_equal_their_modules(result4, release4) -> None:
    wmt = release4["translation"]
    scores = wmt.frame.groupby("item_id")["value"].mean().reindex(wmt.items).to_numpy()
    production = pd.read_csv(spec_path().parent / "production_translation.csv")
    ref = reweighted_metric(wmt.item_info, production, metric=scores, segments=["outlet"],
                            production_weights="requests")
    row = _row(result4, "MQM penalty, production mix")
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx((ref.estimate, ref.ci_low, ref.ci_high),
                                                                             rel=1e-12)
    assert row["effective_n"] == pytest.approx(ref.effective_n)
    story = release4["story"]
    tw = trust_weights(story, target="mean", reference=["human_mean"], segments=[], random_state=0)
    row = _row(result4, "quality (trust-weighted)")
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (tw.estimate.estimate, tw.estimate.ci_low, tw.estimate.ci_high), rel=1e-9)
    assert "Beluga-13B=" in row["weights"]


def test_result_frame_and_summary(result4) -> None:
    frame = result4.to_frame()
    assert list(frame.columns) == list(METRIC_COLUMNS)
    assert set(frame["feature"]) == {"story", "chat", "translation"}
    assert (frame.groupby("feature")["role"].apply(lambda r: (r == "north_star").any())).all()
    assert set(frame.loc[frame["metric"] == "quality", "segment"]) == {"all"} | {
        f"criterion={c}" for c in ("Coherence", "Complexity", "Empathy", "Engagement", "Relevance", "Surprise")}
    summary = result4.summary()
    assert summary.title.startswith("Metrics of run 2025.4")
    assert summary.lines[0].startswith("story: quality = ")
    assert "trust grade B" in summary.lines[0]
    assert result4.run.data[0][1] == load_release("2025.4")["chat"].data_hash


# -- trust grades on seeded simulations ------------------------------------------------------------------------
def test_trust_grades_on_seeded_simulation() -> None:
    j = simulate_judge_study(n_items=200, n_systems=0, scale="continuous", random_state=1)
    frame = j.frame
    # human labels on half of the items only, so PPI has judge-only items
    labelled = set(j.items[::2])
    j_ppi = load_judgments(frame[(frame["method"] != "human") | frame["item_id"].isin(labelled)].drop(
        columns=["source_row"], errors="ignore"), scale=j.scale, segments=list(j.segments))

    def judge_metric(name: str) -> Metric:
        return Metric(name=name, combine="judge", judges=(name,), humans=("human",))

    spec = Spec(features=(
        Feature(name="f", data="full", north_star=Metric(name="humans", combine="human", humans=("human",)),
                diagnostics=(judge_metric("as_good"), judge_metric("lenient"), judge_metric("useless"),
                             Metric(name="unvalidated", combine="judge", judges=("as_good",)))),
        Feature(name="g", data="ppi", north_star=Metric(name="ppi", combine="ppi", humans=("human",),
                                                         judges=("useless",))),
    ))
    result = compute(spec, {"full": j, "ppi": j_ppi}, n_resamples=200, random_state=0)
    grades = result.to_frame().set_index("metric")["grade"].to_dict()
    assert grades == {"humans": "A", "as_good": "A", "lenient": "C", "useless": "C", "unvalidated": "C", "ppi": "B"}
    reasons = result.to_frame().set_index("metric")["grade_reason"]
    assert "replace" in reasons["as_good"] and "assist" in reasons["lenient"]
    assert "no human sources" in reasons["unvalidated"]
    assert result.validations == {"as_good": "replace", "lenient": "assist", "useless": "do_not_use"}
    # PPI with a useless judge still covers the human truth: it falls back towards the human mean
    ppi_row = _row(result, "ppi")
    human = frame[frame["method"] == "human"].groupby("item_id")["value"].mean()
    assert ppi_row["ci_low"] <= human.mean() <= ppi_row["ci_high"]
    # a validation from an earlier study can be given instead
    again = compute(Spec(features=(Feature(name="f", north_star=judge_metric("lenient")),)), j,
                    validations={"lenient": "replace"})
    assert again.to_frame()["grade"].iloc[0] == "A"


def test_change_status_holds_its_level() -> None:
    rng = np.random.default_rng(5)
    calls = [change_status(rng.normal(0, 0.1), 0.1, rng.normal(0, 0.1), 0.1).status for _ in range(4000)]
    false_alarms = np.mean([c != "no detectable change" for c in calls])
    assert 0.035 < false_alarms < 0.065  # nominal 0.05
    assert change_status(1.0, 0.01, 0.5, 0.01, min_change=0.6).status == "no detectable change"
    assert change_status(math.nan, 0.1, 0.5, 0.1).detail == "no previous value to compare with"


# -- the store -------------------------------------------------------------------------------------------------
def _small(label: str, seed: int = 0):
    j = simulate_judge_study(n_items=60, n_systems=0, scale="continuous", random_state=seed)
    spec = Spec(name="small", features=(Feature(
        name="f", north_star=Metric(name="mean", combine="human", humans=("human",), segments=("topic",))),))
    return compute(spec, j, run=Run(label, date=f"2025-01-{seed + 1:02d}"), random_state=seed)


def test_store_append_only_history_and_sql(tmp_path) -> None:
    path = tmp_path / "runs.duckdb"
    store = Store(path)
    first, second = _small("r1", 0), _small("r2", 1)
    store.write(first)
    store.write(second)
    with pytest.raises(StoreError, match="never overwritten"):
        store.write(first)
    hist = store.history(feature="f", metric="mean")
    assert list(hist.columns) == list(HISTORY_COLUMNS)
    assert list(hist["run_label"]) == ["r1", "r2"]
    assert hist["estimate"].tolist() == pytest.approx([_row(first, "mean")["estimate"], _row(second, "mean")["estimate"]])
    assert len(store.history(segment=None)) == 2 * 4  # overall + 3 topics, twice
    # plain SQL, from a separate DuckDB connection
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
        assert con.execute("SELECT value FROM alignlab_schema WHERE key = 'schema_version'").fetchone()[0] == "1"
        hashes = con.execute("SELECT data_hash FROM run_data ORDER BY run_id").fetchdf()
    finally:
        con.close()
    assert len(hashes) == 2
    with pytest.raises(StoreError, match="no store at"):
        Store(tmp_path / "typo.duckdb", create=False)
    # copies of the data only when asked
    mem = Store(":memory:")
    j = simulate_judge_study(n_items=60, n_systems=0, scale="continuous", random_state=0)
    run_id = mem.write(_small("r1", 0), keep_data={"f": j})
    assert len(mem.judgment_copies(run_id, "f")) == len(j.frame)


def test_store_refuses_a_newer_schema(tmp_path) -> None:
    path = tmp_path / "new.duckdb"
    Store(path).write(_small("r1"))
    con = duckdb.connect(str(path))
    con.execute("UPDATE alignlab_schema SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreVersionError, match="schema version 99.*up to 1.*Upgrade alignlab"):
        Store(path)
    with pytest.raises(StoreVersionError):
        Store(path, create=False).history()


_WRITER = textwrap.dedent("""
    import sys
    from alignlab.metrics import Feature, Metric, Run, Spec, Store, compute
    from alignlab.workflows.simulate import simulate_judge_study
    path, name, n, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    j = simulate_judge_study(n_items=60, n_systems=0, scale="continuous", random_state=0)
    spec = Spec(features=(Feature(name="f", north_star=Metric(name="mean", combine="human", humans=("human",),
                                                                segments=("topic",))),))
    if mode == "hang":
        original = Store._insert_metric_rows
        def hang(self, con, result):
            original(self, con, result)
            open(path + ".inside", "w").close()
            import time
            time.sleep(120)
        Store._insert_metric_rows = hang
    store = Store(path, timeout=120)
    for i in range(n):
        store.write(compute(spec, j, run=Run(f"{name}-{i}", date="2025-02-01"), random_state=i))
""")


def _writer(path: Path, name: str, n: int, mode: str = "plain") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name, str(n), mode], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_store_survives_two_concurrent_writers(tmp_path) -> None:
    path = tmp_path / "shared.duckdb"
    Store(path)
    procs = [_writer(path, name, 4) for name in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
    store = Store(path, create=False)
    runs = store.runs()
    assert sorted(runs["label"]) == sorted(f"{n}-{i}" for n in "ab" for i in range(4))
    counts = store.sql("SELECT run_id, count(*) AS n FROM metric_rows GROUP BY run_id")
    assert len(counts) == 8 and (counts["n"] == 4).all()
    assert (runs["n_rows"] == 4).all()


def test_killed_writer_leaves_no_partial_run(tmp_path) -> None:
    path = tmp_path / "killed.duckdb"
    Store(path).write(_small("kept"))
    proc = _writer(path, "killed", 1, mode="hang")
    marker = Path(str(path) + ".inside")
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the writer never reached its transaction"
        time.sleep(0.05)
    proc.kill()  # SIGKILL inside the transaction: run row and metric rows inserted, not committed
    proc.communicate(timeout=30)
    store = Store(path)
    assert list(store.runs()["label"]) == ["kept"]
    assert store.sql("SELECT count(*) AS n FROM metric_rows")["n"].iloc[0] == 4
    store.write(_small("after", 2))
    assert list(store.runs()["label"]) == ["kept", "after"]


# -- summary and dashboard --------------------------------------------------------------------------------------
def test_metrics_summary_reads_the_change(example_spec) -> None:
    r3 = compute(example_spec, load_release("2025.3"), run=Run("2025.3", date="2025-07-15"), n_resamples=200)
    r4 = compute(example_spec, load_release("2025.4"), run=Run("2025.4", date="2025-10-15"), n_resamples=200)
    text = metrics_summary(r4, previous=r3)
    story, chat, translation = text.split("\n")
    assert "Against the previous run: worse" in story and "trust grade B" in story
    assert "Against the previous run: worse" in chat and "trust grade A" in chat
    assert "Against the previous run: no detectable change" in translation


def _hostile_store() -> Store:
    j = simulate_judge_study(n_items=60, n_systems=0, scale="continuous", random_state=0)
    frame = j.frame.assign(topic=j.frame["topic"].replace({"easy": XSS}))
    j = load_judgments(frame.drop(columns=["source_row"], errors="ignore"), scale=j.scale, segments=["topic"])
    spec = Spec(features=(
        Feature(name=XSS, owner="<img src=x onerror=alert(2)>",
                north_star=Metric(name=XSS, combine="human", humans=("human",), segments=("topic",), target=0.1)),
        Feature(name="plain feature", north_star=Metric(name="judge", combine="judge", judges=("useless",))),
    ))
    store = Store(":memory:")
    for i, label in enumerate(["r1", XSS, "r3"]):
        store.write(compute(spec, j, run=Run(label, date=f"2025-0{i + 1}-01"), random_state=i))
    return store


def test_dashboard_is_self_contained_and_escaped(tmp_path) -> None:
    page = build_dashboard(_hostile_store(), tmp_path)
    assert (tmp_path / "index.html").read_text() == page
    assert XSS not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert page.count('<section class="feature"') == 2 and page.count("<polygon class=\"band\"") == 2
    assert page.count("<details>") == 2


@requires_chromium
@pytest.mark.browser
def test_dashboard_opens_in_chromium(tmp_path) -> None:
    build_dashboard(_hostile_store(), tmp_path)
    seen = visit(tmp_path / "index.html", selectors=("section.feature h2", ".trend svg", "details summary"))
    assert seen.console_errors == [] and seen.page_errors == [] and seen.dialogs == []
    assert XSS in seen.text and "plain feature" in seen.text  # every feature shown, the injected one as text
    assert all(seen.element_boxes[s] is not None for s in ("section.feature h2", ".trend svg", "details summary"))
    assert seen.screenshot[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_compute_history_dashboard(tmp_path) -> None:
    from typer.testing import CliRunner

    from alignlab.cli import app

    runner = CliRunner()
    store = str(tmp_path / "s.duckdb")
    for release in ("2025.3", "2025.4"):
        out = runner.invoke(app, ["metrics", "compute", "--example", release, "--store", store, "--n-resamples", "200"])
        assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["metrics", "history", "--store", store, "--feature", "chat", "--json"])
    assert out.exit_code == 0, out.output
    assert [r["run_label"] for r in __import__("json").loads(out.output) if r["metric"] == "tie rate"] == \
        ["2025.3", "2025.4"]
    out = runner.invoke(app, ["dashboard", "--store", store, "--out", str(tmp_path / "dash")])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "dash" / "index.html").read_text()
    assert "story" in page and "worse" in page
    bad = runner.invoke(app, ["metrics", "history", "--store", str(tmp_path / "none.duckdb")])
    assert bad.exit_code == 2 and "no store at" in bad.output


def test_population_weights_enter_ppi_as_sampling_weights(release4) -> None:
    """PPI weighted to production equals ppi_estimate on the table whose 'weight' is reweight's item weight."""
    from alignlab.sampling import reweight

    story = release4["story"]
    traffic = pd.DataFrame({"criterion": ["Coherence", "Complexity", "Empathy", "Engagement", "Relevance", "Surprise"],
                            "n": [500, 100, 100, 300, 900, 100]})
    spec = Spec(features=(Feature(name="story", north_star=Metric(
        name="q", combine="ppi", humans=("human",), judges=("Beluga-13B",),
        population=Population("traffic", ("criterion",), weights="n"))),))
    row = _row(compute(spec, release4, production={"traffic": traffic}), "q")
    weights = reweight(story.item_info, traffic, segments=["criterion"], production_weights="n")
    per_item = pd.Series(weights.weights, index=story.items)
    frame = story.frame.assign(weight=story.frame["item_id"].map(per_item)).drop(columns=["source_row"])
    weighted = load_judgments(frame, scale=story.scale, segments=list(story.segments))
    ref = ppi_estimate(weighted, raters="Beluga-13B", reference="human", random_state=0)
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx((ref.estimate, ref.ci_low, ref.ci_high),
                                                                             rel=1e-9)
    unweighted = ppi_estimate(story, raters="Beluga-13B", reference="human", random_state=0)
    assert abs(ref.estimate - unweighted.estimate) > 0.01  # the production mix moves the number


def test_online_signals_enter_trust_weights() -> None:
    from alignlab.workflows.simulate import simulate_signal_study

    j = simulate_signal_study(n_items=300, random_state=0)
    spec = Spec(features=(Feature(name="f", north_star=Metric(
        name="tw", combine="trust_weighted", humans=("human",), judges=("llm_judge",), online=("thumbs_up",)),
        diagnostics=(Metric(name="thumbs alone", combine="judge", online=("thumbs_up",), humans=("human",)),)),))
    result = compute(spec, j, n_resamples=200)
    ref = trust_weights(j, reference="human", segments=[], random_state=0)
    row = _row(result, "tw")
    assert row["estimate"] == pytest.approx(ref.estimate.estimate, rel=1e-9)
    assert "thumbs_up=" in row["weights"] and row["grade"] == "B"
    alone = _row(result, "thumbs alone")
    assert alone["grade"] == "C" and "thumbs_up" in alone["grade_reason"]


def test_store_lock_timeout_is_a_clear_error_and_connections_are_accepted(tmp_path) -> None:
    from alignlab.metrics import StoreLockedError

    path = tmp_path / "locked.duckdb"
    Store(path).write(_small("r1"))
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(path)!r})\nprint('held', flush=True)\ntime.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLockedError, match="in use by another process.*timeout"):
            Store(path, timeout=0.3)
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    assert list(Store(path).runs()["label"]) == ["r1"]  # the lock released, the store intact
    con = duckdb.connect()  # an open connection is used as it is
    store = Store(con)
    store.write(_small("r2", 1))
    assert con.execute("SELECT label FROM runs").fetchall() == [("r2",)]
