"""alignlab.online: event logs aggregated in DuckDB and PySpark, against a pandas reference; selection.

Reference values: the pandas groupby below (*reference*: the documented counting rules written directly),
statsmodels' Wilson interval and binomial standard error, a statsmodels Logit fitted on expanded rows,
and seeded simulations with a known selection mechanism (*simulation*).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from alignlab.online import EventsError, OnlineJudgments, events, feedback_rates, ipw_rate, with_online
from alignlab.online.events import _from_cells

SIGNALS = ["thumbs_up", "copied"]
KEYS = ["item_id", "system", "locale", "device"]


# -- data -----------------------------------------------------------------------------------------------
def make_log(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    item = rng.integers(0, 40, n)
    users = np.array([f"u{k:02d}" for k in range(60)], dtype=object)
    user = users[rng.integers(0, 60, n)]
    user[:300] = "heavy"  # one outlier user
    locale = rng.choice(["en", "ja", "de"], n, p=[0.6, 0.3, 0.1])
    device = rng.choice(["mobile", "desktop"], n)
    thumbs = np.where(rng.uniform(size=n) < 0.35, (rng.uniform(size=n) < 0.6).astype(float), np.nan)
    copied = pd.array(np.where(rng.uniform(size=n) < 0.5, rng.uniform(size=n) < 0.3, None), dtype="boolean")
    dwell = np.where(rng.uniform(size=n) < 0.8, rng.gamma(2.0, 10.0, n), np.nan)
    start = pd.Timestamp("2024-05-01", tz="UTC")
    # whole minutes: plenty of exact ties within a user and item, to exercise the tie rule
    ts = start + pd.to_timedelta(rng.integers(0, 10 * 24 * 60, n), unit="min")
    bot = rng.uniform(size=n) < 0.03
    return pd.DataFrame({"item_id": [f"it{i:02d}" for i in item], "system": [f"sys{i % 3}" for i in item],
                         "user": user, "locale": locale, "device": device, "thumbs_up": thumbs, "copied": copied,
                         "dwell": dwell, "ts": ts, "is_bot": bot})


def reference(df: pd.DataFrame, *, dedup: str = "none", start=None, end=None, bot: bool = False,
              max_user_events: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The documented counting rules, written directly in pandas: (binary cells, numeric cells)."""
    d = df.copy()
    if start is not None or end is not None:
        inside = d["ts"].notna()
        if start is not None:
            inside &= d["ts"] >= pd.Timestamp(start)
        if end is not None:
            inside &= d["ts"] < pd.Timestamp(end)
        d = d[inside]
    if bot:
        d = d[~d["is_bot"].fillna(False)]
    if max_user_events is not None:
        sizes = d.groupby("user").size()
        d = d[~d["user"].isin(sizes[sizes > max_user_events].index)]
    d["copied"] = d["copied"].astype("Float64").astype(float)
    rows, numeric = [], []
    if dedup == "none":
        g = d.groupby(KEYS)
        exposures = g.size()
        for name in SIGNALS:
            rows.append(pd.DataFrame({"signal": name, "exposures": exposures, "trials": g[name].count(),
                                      "successes": g[name].apply(lambda x: int((x == 1).sum()))}))
        numeric.append(pd.DataFrame({"signal": "dwell", "exposures": exposures, "n": g["dwell"].count(),
                                     "sum": g["dwell"].sum()}))
    else:
        pair_keys = ["user", *KEYS]
        exposures = d.groupby(pair_keys).size().groupby(KEYS).size()
        for name in SIGNALS:
            rated = d[d[name].notna()].sort_values(["ts", name], kind="stable")
            last = rated.groupby(pair_keys)[name].last()
            per_cell = last.groupby(KEYS)
            rows.append(pd.DataFrame({"signal": name, "exposures": exposures,
                                      "trials": per_cell.size().reindex(exposures.index, fill_value=0),
                                      "successes": per_cell.sum().reindex(exposures.index, fill_value=0)}))
        pair_mean = d.groupby(pair_keys)["dwell"].mean()
        per_cell = pair_mean.groupby(KEYS)
        numeric.append(pd.DataFrame({"signal": "dwell", "exposures": exposures, "n": per_cell.count(),
                                     "sum": per_cell.sum()}))
    cells = pd.concat(rows).reset_index().sort_values([*KEYS, "signal"]).reset_index(drop=True)
    cells[["exposures", "trials", "successes"]] = cells[["exposures", "trials", "successes"]].astype(np.int64)
    num = pd.concat(numeric).reset_index().sort_values(KEYS).reset_index(drop=True)
    return cells, num


def _cells(online: OnlineJudgments) -> pd.DataFrame:
    out = online.cells[[*KEYS, "signal", "exposures", "trials", "successes"]]
    return out.sort_values([*KEYS, "signal"]).reset_index(drop=True).astype({"item_id": object})


def _numeric(online: OnlineJudgments) -> pd.DataFrame:
    return online.numeric[[*KEYS, "signal", "exposures", "n", "sum"]].sort_values(KEYS).reset_index(drop=True)


def _assert_same(online: OnlineJudgments, ref: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    got = _cells(online)
    want = ref[0]
    assert len(got) == len(want)
    for column in KEYS + ["signal"]:
        assert got[column].astype(str).tolist() == want[column].astype(str).tolist()
    for column in ("exposures", "trials", "successes"):
        np.testing.assert_array_equal(got[column].to_numpy(np.int64), want[column].to_numpy(np.int64))
    got_n, want_n = _numeric(online), ref[1]
    np.testing.assert_array_equal(got_n["n"].to_numpy(np.int64), want_n["n"].to_numpy(np.int64))
    np.testing.assert_allclose(got_n["sum"].to_numpy(float), want_n["sum"].to_numpy(float), rtol=1e-10)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return make_log()


@pytest.fixture(scope="module")
def log_files(log: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The same log as two Parquet files, one CSV and one JSONL file."""
    root = tmp_path_factory.mktemp("events")
    half = len(log) // 2
    (root / "parquet").mkdir()
    for k, part in enumerate((log.iloc[:half], log.iloc[half:])):
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), root / "parquet" / f"part{k}.parquet")
    flat = log.assign(ts=log["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    flat.to_csv(root / "log.csv", index=False)
    flat.to_json(root / "log.jsonl", orient="records", lines=True)
    return {"parquet": str(root / "parquet" / "*.parquet"), "csv": str(root / "log.csv"),
            "jsonl": str(root / "log.jsonl"), "root": str(root)}


KW = {"signal": SIGNALS, "numeric": "dwell", "system": "system", "segments": ["locale", "device"]}


# -- DuckDB against the pandas reference ------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_duckdb_counts_equal_pandas_reference(log: pd.DataFrame, log_files: dict[str, str], fmt: str) -> None:
    """*reference*: every count of every cell, from files of each format."""
    online = events(log_files[fmt], **KW, check_selection=False)
    assert online.engine == "duckdb"
    _assert_same(online, reference(log))
    assert online.n_events == len(log) and online.n_events_used == len(log)
    assert len(online.event_exclusions) == 0


def test_duckdb_dedup_window_and_filters_equal_reference(log: pd.DataFrame, log_files: dict[str, str]) -> None:
    """*reference*: dedup='last' (ties to the positive value), a window, the bot column and heavy users."""
    opts = {"start": "2024-05-02T00:00:00Z", "end": "2024-05-09T12:00:00Z"}
    online = events(log_files["parquet"], **KW, user="user", timestamp="ts", dedup="last", bot_column="is_bot",
                    max_user_events=200, check_selection=False, **opts)
    _assert_same(online, reference(log, dedup="last", bot=True, max_user_events=200, **opts))
    excl = online.event_exclusions.set_index("reason")
    ts = log["ts"]
    inside = (ts >= pd.Timestamp(opts["start"])) & (ts < pd.Timestamp(opts["end"]))
    assert excl.filter(like="time window", axis=0)["n_events"].iloc[0] == int((~inside).sum())
    assert excl.filter(like="bot", axis=0)["n_events"].iloc[0] == int((inside & log["is_bot"]).sum())
    heavy = excl.filter(like="more than", axis=0).iloc[0]
    kept = log[inside & ~log["is_bot"]]
    assert heavy["n_users"] == 1 and heavy["n_events"] == int((kept["user"] == "heavy").sum())
    # every event is accounted for: used (pairs) + excluded (incl. collapsed repeats) = read
    assert online.n_events == len(log)
    assert online.n_events_used + int(online.event_exclusions["n_events"].sum()) == len(log)
    assert any("excluded" in note for note in online.notes)


def test_aggregates_feed_judgments_and_sum_over_segments(log: pd.DataFrame) -> None:
    online = events(log, **KW, check_selection=False)
    agg = online.aggregates
    assert set(agg["method"]) == {"online"} and set(agg["rater_id"]) == set(SIGNALS)
    thumbs = agg[agg["rater_id"] == "thumbs_up"].set_index("item_id")
    by_item = log.groupby("item_id")["thumbs_up"]
    np.testing.assert_array_equal(thumbs["trials"].to_numpy(), by_item.count().loc[thumbs.index].to_numpy())
    np.testing.assert_array_equal(thumbs["successes"].to_numpy(), by_item.sum().loc[thumbs.index].to_numpy())
    np.testing.assert_array_equal(thumbs["exposures"].to_numpy(), by_item.size().loc[thumbs.index].to_numpy())


def test_duckdb_connection_and_ibis_table_sources(log: pd.DataFrame, log_files: dict[str, str]) -> None:
    import duckdb
    import ibis

    con = duckdb.connect()
    con.execute(f"CREATE TABLE logs AS SELECT * FROM read_parquet('{log_files['parquet']}')")
    from_db = events(con, table="logs", **KW, check_selection=False)
    _assert_same(from_db, reference(log))
    backend = ibis.duckdb.connect()
    expr = backend.read_parquet(log_files["parquet"])
    _assert_same(events(expr.filter(expr.locale != "de"), **KW, check_selection=False),
                 reference(log[log["locale"] != "de"]))


# -- PySpark: the same expressions, the same numbers -------------------------------------------------------
@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Spark tests need a Java runtime: java is not on PATH (CI installs default-jre-headless)")
    sql = pytest.importorskip("pyspark.sql", reason="Spark tests need pyspark (pip install 'alignlab[spark]')")
    session = (sql.SparkSession.builder.master("local[1]").appName("alignlab-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.spark
def test_spark_equals_duckdb_and_pandas(spark, log: pd.DataFrame, log_files: dict[str, str]) -> None:
    """*reference*: PySpark (local mode) gives the DuckDB numbers, which equal pandas; bad input is one
    clear error on Spark too. One test, so one JVM."""
    on_spark = events(log_files["parquet"], **KW, engine=spark, check_selection=False)
    assert on_spark.engine == "pyspark"
    on_duck = events(log_files["parquet"], **KW, check_selection=False)
    pd.testing.assert_frame_equal(_cells(on_spark), _cells(on_duck))
    _assert_same(on_spark, reference(log))
    opts = {"start": "2024-05-02T00:00:00Z", "end": "2024-05-09T12:00:00Z"}
    full = {**KW, "user": "user", "timestamp": "ts", "dedup": "last", "bot_column": "is_bot",
            "max_user_events": 200, "check_selection": False, **opts}
    spark_dedup = events(log_files["parquet"], engine=spark, **full)
    _assert_same(spark_dedup, reference(log, dedup="last", bot=True, max_user_events=200, **opts))
    pd.testing.assert_frame_equal(spark_dedup.event_exclusions,
                                  events(log_files["parquet"], **full).event_exclusions)
    with pytest.raises(EventsError, match=r"glob .* matches no file"):
        events(log_files["root"] + "/nothing/*.parquet", **KW, engine=spark)
    # a Spark DataFrame (a table in a warehouse) as the source; its TIMESTAMP is an instant, so accepted
    frame = spark.read.parquet(log_files["parquet"].replace("*.parquet", ""))
    _assert_same(events(frame, **KW, timestamp="ts", start=opts["start"], check_selection=False),
                 reference(log, start=opts["start"]))


# -- bad input: one clear error naming the file and the column -----------------------------------------------
def _write(path, frame: pd.DataFrame) -> str:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return str(path)


def test_missing_column_names_file_and_column(log: pd.DataFrame, tmp_path) -> None:
    _write(tmp_path / "a.parquet", log.iloc[:100])
    _write(tmp_path / "b.parquet", log.iloc[100:200].drop(columns=["copied"]))
    with pytest.raises(EventsError, match=r"b\.parquet.*column 'copied'.*missing") as info:
        events(str(tmp_path / "*.parquet"), **KW)
    assert info.value.column == "copied" and info.value.file.endswith("b.parquet")
    with pytest.raises(EventsError, match=r"column 'thumbs_upp'.*did you mean 'thumbs_up'"):
        events(str(tmp_path / "a.parquet"), signal="thumbs_upp")


def test_mixed_schemas_across_files(log: pd.DataFrame, tmp_path) -> None:
    _write(tmp_path / "a.parquet", log.iloc[:100])
    _write(tmp_path / "b.parquet", log.iloc[100:200].assign(thumbs_up=lambda d: d["thumbs_up"].astype(str)))
    with pytest.raises(EventsError, match=r"b\.parquet.*column 'thumbs_up'.*mixed schemas.*VARCHAR"):
        events(str(tmp_path / "*.parquet"), **KW)


def test_empty_glob_and_missing_file(tmp_path) -> None:
    with pytest.raises(EventsError, match=r"glob .*nothing.*matches no file"):
        events(str(tmp_path / "nothing*.parquet"), signal="s")
    with pytest.raises(EventsError, match=r"does not exist"):
        events(str(tmp_path / "gone.parquet"), signal="s")


def test_non_binary_signal_names_file_and_value(log: pd.DataFrame, tmp_path) -> None:
    _write(tmp_path / "a.parquet", log.iloc[:100])
    _write(tmp_path / "b.parquet", log.iloc[100:200].assign(thumbs_up=lambda d: d["thumbs_up"].fillna(0) * 5))
    with pytest.raises(EventsError, match=r"b\.parquet.*column 'thumbs_up'.*other than 0/1 \(e\.g\. 5\.0\)"):
        events(str(tmp_path / "*.parquet"), **KW)
    with pytest.raises(EventsError, match=r"column 'user'.*binary signal must be 0/1"):
        events(str(tmp_path / "a.parquet"), signal="user")


def test_timestamps_without_time_zone(log: pd.DataFrame, tmp_path) -> None:
    path = _write(tmp_path / "naive.parquet", log.iloc[:100].assign(ts=lambda d: d["ts"].dt.tz_localize(None)))
    with pytest.raises(EventsError, match=r"naive\.parquet.*column 'ts'.*no time zone"):
        events(path, signal="thumbs_up", timestamp="ts", start="2024-05-02T00:00:00Z")
    log.iloc[:100].assign(ts=lambda d: d["ts"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_csv(tmp_path / "n.csv")
    with pytest.raises(EventsError, match=r"n\.csv.*column 'ts'.*no time zone"):
        events(str(tmp_path / "n.csv"), signal="thumbs_up", timestamp="ts", user="user", dedup="last")
    with pytest.raises(EventsError, match=r"start='2024-05-02' has no time zone"):
        events(log, signal="thumbs_up", timestamp="ts", start="2024-05-02")


def test_option_errors(log: pd.DataFrame) -> None:
    with pytest.raises(EventsError, match=r"dedup='last' needs the user and the time"):
        events(log, signal="thumbs_up", dedup="last")
    with pytest.raises(EventsError, match="no signal named"):
        events(log)
    with pytest.raises(EventsError, match="named for two roles"):
        events(log, signal="thumbs_up", segments=["thumbs_up"])
    with pytest.raises(ValueError, match="'dedup' parameter of events must be one of"):
        events(log, signal="thumbs_up", dedup="first")


def test_corrupt_file_is_one_clear_error(tmp_path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"not a parquet file at all")
    with pytest.raises(EventsError, match=r"bad\.parquet.*cannot be parsed as parquet"):
        events(str(tmp_path / "bad.parquet"), signal="s")


# -- selection: feedback rates, the audit warning, IPW -------------------------------------------------------
def simulate_cells(rng: np.random.Generator, n_items: int = 150, mean_exposures: float = 20.0) -> pd.DataFrame:
    """Exposure counts per item x locale x device; feedback and success depend on the segments.

    P(success) = sigmoid(0.8 - 1.2 [ja] - 0.6 [de] + 0.5 [mobile]);
    P(feedback) = sigmoid(-1.0 + 1.2 [en] - 0.8 [mobile]) (the happy English desktop users rate more).
    """
    locales, devices = np.array(["en", "ja", "de"]), np.array(["desktop", "mobile"])
    li, di = np.meshgrid(np.arange(3), np.arange(2), indexing="ij")
    li, di = li.ravel(), di.ravel()
    share = np.array([0.5, 0.3, 0.2])[li] * np.array([0.4, 0.6])[di]
    item = np.repeat(np.arange(n_items), len(li))
    cell_l, cell_d = np.tile(li, n_items), np.tile(di, n_items)
    n = rng.poisson(mean_exposures * len(li) * share[np.tile(np.arange(len(li)), n_items)])
    p_success = 1 / (1 + np.exp(-(0.8 - 1.2 * (cell_l == 1) - 0.6 * (cell_l == 2) + 0.5 * cell_d)))
    p_rate = 1 / (1 + np.exp(-(-1.0 + 1.2 * (cell_l == 0) - 0.8 * cell_d)))
    t = rng.binomial(n, p_rate)
    s = rng.binomial(t, p_success)
    cells = pd.DataFrame({"item_id": item, "locale": locales[cell_l], "device": devices[cell_d],
                          "signal": "thumbs_up", "exposures": n, "trials": t, "successes": s})
    return cells[cells["exposures"] > 0].reset_index(drop=True)


def true_rate() -> float:
    share = np.array([0.5, 0.3, 0.2])[:, None] * np.array([0.4, 0.6])[None, :]
    lin = 0.8 - np.array([0.0, 1.2, 0.6])[:, None] + np.array([0.0, 0.5])[None, :]
    return float(np.sum(share / (1 + np.exp(-lin))))


def test_ipw_estimate_equals_row_level_logit_reference() -> None:
    """*reference*: the propensity fitted on the cells equals statsmodels' Logit on the expanded rows, and
    the Hajek estimate computed from it."""
    rng = np.random.default_rng(1)
    cells = simulate_cells(rng, n_items=30, mean_exposures=8)
    res = ipw_rate(_from_cells(cells, cell_columns=["locale", "device"]))
    rows = cells.loc[cells.index.repeat(cells["exposures"])].reset_index(drop=True)
    k = rows.groupby(["item_id", "locale", "device"]).cumcount()
    rows["rated"] = (k < rows["trials"]).astype(float)
    rows["y"] = (k < rows["successes"]).astype(float)
    x = pd.get_dummies(rows[["locale", "device"]], drop_first=True).astype(float)
    fit = sm.Logit(rows["rated"], sm.add_constant(x)).fit(disp=0)
    pi = fit.predict(sm.add_constant(x))
    r, y = rows["rated"].to_numpy(), rows["y"].to_numpy()
    hajek = np.sum(r * y / pi) / np.sum(r / pi)
    assert res.estimate == pytest.approx(hajek, rel=1e-6)
    assert res.naive == pytest.approx(y[r == 1].mean(), rel=1e-12)
    low, high = proportion_confint(int(y.sum()), int(r.sum()), method="wilson")
    assert (res.naive_low, res.naive_high) == pytest.approx((low, high))


def test_ipw_without_features_is_the_binomial_rate() -> None:
    """*reference*: constant propensity -> IPW = naive with the binomial (Wald) standard error."""
    rng = np.random.default_rng(2)
    cells = simulate_cells(rng, n_items=40)
    res = ipw_rate(_from_cells(cells, cell_columns=["locale", "device"]), features=[], cluster="none")
    s, t = cells["successes"].sum(), cells["trials"].sum()
    assert res.estimate == pytest.approx(s / t) and res.difference == pytest.approx(0.0, abs=1e-12)
    assert res.standard_error == pytest.approx(np.sqrt(s / t * (1 - s / t) / t), rel=1e-9)


def test_ipw_analytic_and_bootstrap_agree() -> None:
    rng = np.random.default_rng(3)
    online = _from_cells(simulate_cells(rng, n_items=80), cell_columns=["locale", "device"])
    analytic = ipw_rate(online)
    boot = ipw_rate(online, ci_method="percentile", n_resamples=200, random_state=0)
    assert boot.estimate == analytic.estimate
    assert boot.standard_error == pytest.approx(analytic.standard_error, rel=0.25)
    assert boot.ci_method.startswith("bootstrap-percentile")
    assert "sandwich" in analytic.ci_method
    assert "Selection-corrected rate" in analytic.summary().as_text()


def _coverage(n_reps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    truth = true_rate()
    hit_ipw = hit_naive = 0
    for _ in range(n_reps):
        res = ipw_rate(_from_cells(simulate_cells(rng), cell_columns=["locale", "device"]))
        hit_ipw += res.ci_low <= truth <= res.ci_high
        hit_naive += res.naive_low <= truth <= res.naive_high
    return hit_ipw / n_reps, hit_naive / n_reps


def test_ipw_covers_true_rate_fast() -> None:
    """*simulation*: known selection (English desktop users rate more and are happier)."""
    ipw, naive = _coverage(80, seed=10)
    assert 0.87 <= ipw <= 1.0  # 0.95 expected; 0.87 is 3.6 binomial SDs below
    assert naive < 0.05


@pytest.mark.slow
def test_ipw_coverage_95_percent() -> None:
    """*simulation*: 1,000 replicates: the IPW interval covers the true rate at 95 +/- 2 %, the naive not."""
    ipw, naive = _coverage(1000, seed=11)
    assert 0.93 <= ipw <= 0.97
    assert naive < 0.05


def test_feedback_rates_and_selection_warning(log: pd.DataFrame) -> None:
    rng = np.random.default_rng(4)
    n = 20_000
    locale = rng.choice(["en", "ja", "de"], n, p=[0.5, 0.3, 0.2])
    rated = rng.uniform(size=n) < np.where(locale == "en", 0.4, 0.05)
    biased = pd.DataFrame({"item_id": rng.integers(0, 300, n), "locale": locale,
                           "thumbs_up": np.where(rated, (rng.uniform(size=n) < 0.7).astype(float), np.nan)})
    online = events(biased, signal="thumbs_up", segments="locale", random_state=0)
    assert any(note.startswith("selection:") and "locale=en" in note for note in online.notes)
    assert online.selection is not None and online.selection.tvd > 0.2
    fr = feedback_rates(online).to_frame().set_index("locale")
    for level in ("en", "ja", "de"):
        mask = locale == level
        assert fr.loc[level, "exposures"] == mask.sum() and fr.loc[level, "trials"] == rated[mask].sum()
        low, high = proportion_confint(rated[mask].sum(), mask.sum(), method="wilson")
        assert (fr.loc[level, "feedback_low"], fr.loc[level, "feedback_high"]) == pytest.approx((low, high))
    assert feedback_rates(online).p_value < 1e-10
    # no selection: rated at random -> no warning
    fair = biased.assign(thumbs_up=np.where(rng.uniform(size=n) < 0.2, 1.0, np.nan))
    assert not any(note.startswith("selection:") for note in events(fair, signal="thumbs_up", segments="locale",
                                                                      random_state=0).notes)


def test_online_signal_enters_trust_weights() -> None:
    """Events aggregated by DuckDB feed trust_weights as a binomial signal with its own reliability."""
    from alignlab.workflows import trust_weights
    from alignlab.workflows.simulate import simulate_signal_study

    study = simulate_signal_study(n_items=300, sources={"judge_strong": ("llm_judge", 0.5)}, random_state=0)
    rng = np.random.default_rng(0)
    truth = study.frame.groupby("item_id")["value"].mean()  # a proxy of item quality
    items = np.repeat(truth.index.to_numpy(), 40)
    p = 1 / (1 + np.exp(-(truth.loc[items].to_numpy() - truth.mean()) / truth.std()))
    log = pd.DataFrame({"item_id": items, "thumbs_up": np.where(rng.uniform(size=len(items)) < 0.5,
                                                                 (rng.uniform(size=len(items)) < p).astype(float),
                                                                 np.nan)})
    both = with_online(study, events(log, signal="thumbs_up", check_selection=False))
    weights = trust_weights(both, random_state=0).to_frame().set_index("source")
    assert weights.loc["thumbs_up", "kind"] == "signal"
    assert 0 < weights.loc["thumbs_up", "reliability"] < 1
    assert weights.loc["thumbs_up", "reliability_low"] <= weights.loc["thumbs_up", "reliability"]


# -- CLI and report ------------------------------------------------------------------------------------------
@pytest.fixture
def cli_files(tmp_path) -> dict[str, object]:
    from alignlab.workflows.simulate import simulate_signal_study

    study = simulate_signal_study(n_items=200, sources={"judge_strong": ("llm_judge", 0.5)}, random_state=1)
    study.frame.drop(columns=["source_row", "weight"]).to_csv(tmp_path / "judgments.csv", index=False)
    rng = np.random.default_rng(1)
    items = np.repeat(study.items.to_numpy(), 30)
    locale = rng.choice(["en", "ja"], len(items))
    rated = rng.uniform(size=len(items)) < np.where(locale == "en", 0.5, 0.1)
    good = rng.uniform(size=len(items)) < np.where(locale == "en", 0.7, 0.4)
    log = pd.DataFrame({"item_id": items, "locale": locale, "thumbs_up": np.where(rated, good.astype(float), np.nan)})
    (tmp_path / "logs").mkdir()
    log.iloc[:3000].to_parquet(tmp_path / "logs" / "a.parquet")
    log.iloc[3000:].to_parquet(tmp_path / "logs" / "b.parquet")
    return {"root": tmp_path, "glob": str(tmp_path / "logs" / "*.parquet"), "log": log, "rated": rated, "good": good}


def test_cli_online_aggregate(cli_files) -> None:
    import json

    from typer.testing import CliRunner

    from alignlab.cli import app

    root, log, rated, good = cli_files["root"], cli_files["log"], cli_files["rated"], cli_files["good"]
    runner = CliRunner()
    res = runner.invoke(app, ["online", "aggregate", cli_files["glob"], "--signal", "thumbs_up", "--segments",
                              "locale", "--json", "--out", str(root / "out")])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    row = payload["rates"][0]
    assert payload["n_events"] == len(log) and row["rated"] == int(rated.sum())
    assert row["naive_rate"] == pytest.approx(good[rated].mean())
    assert row["corrected_low"] <= 0.55 <= row["corrected_high"] < row["naive_rate"]  # truth: (0.7 + 0.4) / 2
    page = (root / "out" / "index.html").read_text()
    assert "Online signals: naive and selection-corrected" in page and "Feedback is selective" in page
    assert (root / "out" / "cells.csv").exists() and (root / "out" / "rates.csv").exists()
    res = runner.invoke(app, ["online", "aggregate", str(root / "none*.parquet"), "--signal", "thumbs_up"])
    assert res.exit_code == 2 and "matches no file" in res.output and "Traceback" not in res.output


def test_cli_trust_weights_events(cli_files) -> None:
    import json

    from typer.testing import CliRunner

    from alignlab.cli import app

    root = cli_files["root"]
    res = CliRunner().invoke(app, ["trust-weights", str(root / "judgments.csv"), "--scale", "continuous",
                                   "--events", cli_files["glob"], "--signal", "thumbs_up", "--events-segments",
                                   "locale", "--json", "--out", str(root / "tw")])
    assert res.exit_code == 0, res.output
    weights = {w["source"]: w for w in json.loads(res.output)["weights"]}
    assert weights["thumbs_up"]["kind"] == "signal" and 0 < weights["thumbs_up"]["weight"] < 1
    assert (root / "tw" / "index.html").exists()
    assert "Online signals: naive and selection-corrected" in (root / "tw" / "online.html").read_text()


def test_spark_timestamp_types_map_to_time_zone_rule() -> None:
    """Spark's TIMESTAMP is an instant (accepted), TIMESTAMP_NTZ has no time zone (rejected)."""
    types = pytest.importorskip("pyspark.sql.types", reason="needs pyspark (no Java needed for the types)")
    from alignlab.online._source import _family, _spark_type_name

    assert _family(_spark_type_name(types.TimestampType())) == "timestamptz"
    assert _family(_spark_type_name(types.TimestampNTZType())) == "timestamp"
    assert _family(_spark_type_name(types.IntegerType())) == "integer"
    assert _family(_spark_type_name(types.StringType())) == "text"


def test_ipw_and_feedback_errors() -> None:
    from sklearn.ensemble import RandomForestClassifier

    online = _from_cells(simulate_cells(np.random.default_rng(5), n_items=20), cell_columns=["locale", "device"])
    with pytest.raises(ValueError, match=r"'features' argument names \['country'\]"):
        ipw_rate(online, features="country")
    with pytest.raises(ValueError, match="sandwich variance.*logistic propensity model only"):
        ipw_rate(online, propensity_model=RandomForestClassifier(n_estimators=5))
    forest = ipw_rate(online, propensity_model=RandomForestClassifier(n_estimators=5, random_state=0),
                      ci_method="percentile", n_resamples=30, random_state=0)
    assert forest.ci_low < forest.estimate < forest.ci_high and forest.propensity_model == "RandomForestClassifier"
    with pytest.raises(ValueError, match="ci_method' parameter of ipw_rate must be one of"):
        ipw_rate(online, ci_method="wilson")
    with pytest.raises(ValueError, match=r"signal='x' is not among the binary signals"):
        feedback_rates(online, signal="x")
    with pytest.raises(ValueError, match="not cell columns"):
        feedback_rates(online, by="country")


def test_positivity_and_numeric_only(log: pd.DataFrame) -> None:
    cells = simulate_cells(np.random.default_rng(6), n_items=30)
    cells.loc[cells["locale"] == "de", ["trials", "successes"]] = 0  # German users never rate
    res = ipw_rate(_from_cells(cells, cell_columns=["locale", "device"]))
    excluded = int(cells.loc[cells["locale"] == "de", "exposures"].sum())
    assert res.excluded_exposures == excluded and any("never rated" in w for w in res.warnings)
    assert res.n_exposures == int(cells["exposures"].sum()) - excluded
    with pytest.raises(EventsError, match="only numeric signals"):
        events(log, numeric="dwell")


def test_online_aggregates_feed_online_alignment() -> None:
    """*reference*: the trial-weighted Pearson correlation of judge scores with the aggregated online rate."""
    import alignlab
    from alignlab.alignment import online_alignment

    rng = np.random.default_rng(0)
    q = rng.normal(size=300)
    judged = alignlab.load_judgments(pd.DataFrame({"item_id": np.arange(300), "rater_id": "judge",
                                                   "method": "llm_judge", "value": q}), scale="continuous")
    items = np.repeat(np.arange(300), 40)
    rated = rng.uniform(size=len(items)) < 0.5
    log = pd.DataFrame({"item_id": items, "thumbs_up": np.where(
        rated, (rng.uniform(size=len(items)) < 1 / (1 + np.exp(-q[items]))).astype(float), np.nan)})
    res = online_alignment(with_online(judged, events(log, signal="thumbs_up", check_selection=False)),
                           level="item", n_resamples=100, random_state=0)
    by_item = log.groupby("item_id")["thumbs_up"]
    rate, trials = (by_item.sum() / by_item.count()).to_numpy(), by_item.count().to_numpy()
    cov = np.cov(q, rate, aweights=trials)
    assert res.table.iloc[0]["estimate"] == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-9)


def test_sandwich_cell_formulas_equal_exposure_level_scores() -> None:
    """The exposure-level meat written with cell counts equals the sum of per-exposure score outer products
    (cluster-robust with one exposure per cluster), and aggregating exposures into cells changes nothing."""
    cells = simulate_cells(np.random.default_rng(7), n_items=25, mean_exposures=6)
    rows = cells.loc[cells.index.repeat(cells["exposures"])].reset_index(drop=True)
    k = rows.groupby(["item_id", "locale", "device"]).cumcount()
    rows = rows.assign(exposures=1, trials=(k < rows["trials"]).astype(int),
                       successes=(k < rows["successes"]).astype(int), item_id=np.arange(len(rows)))
    per_row = _from_cells(rows, cell_columns=["locale", "device"])
    clustered = ipw_rate(per_row, cluster="item")
    independent = ipw_rate(per_row, cluster="none")
    aggregated = ipw_rate(_from_cells(cells, cell_columns=["locale", "device"]), cluster="none")
    for res in (independent, aggregated):
        assert res.estimate == pytest.approx(clustered.estimate, rel=1e-9)
        assert res.standard_error == pytest.approx(clustered.standard_error, rel=1e-6)
        assert res.difference_se == pytest.approx(clustered.difference_se, rel=1e-6)
