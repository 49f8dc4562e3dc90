"""Rebuild every file in ``alignlab/datasets/_data`` from the upstream copies in ``../shared/data``.

Usage::

    python scripts/prepare_datasets.py [--shared PATH] [--out PATH] [--check]

The output is deterministic: rows are sorted, CSVs use ``\\n`` line ends and the gzip header carries no
file name and a zero timestamp, so rebuilding from the same inputs gives byte-identical files. After
writing, every dataset is loaded with :func:`alignlab.datasets.load` and its counts are compared with the
registry in ``alignlab/datasets/__init__.py``. ``--check`` rebuilds into memory and fails if any bundled
file differs from what the script would write.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "alignlab" / "datasets" / "_data"

sys.path.insert(0, str(REPO))  # run from a source checkout without installing
from alignlab.datasets import _REGISTRY  # noqa: E402

HANNA_CRITERIA = {  # criterion -> abbreviation used in the upstream column names
    "Relevance": "RE",
    "Coherence": "CH",
    "Empathy": "EM",
    "Surprise": "SU",
    "Engagement": "EG",
    "Complexity": "CX",
}
HANNA_LLMS = ("Beluga-13B", "Mistral-7B", "Llama-13B", "ChatGPT")
HANNA_CONFIGS = (1, 2, 3, 4)


def read_csv(path: Path, **kwargs) -> pd.DataFrame:
    # only empty fields are missing: model outputs such as "None" or "NA" stay text
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)


# --------------------------------------------------------------------------------------------------
# builders: each returns the long table and the facts quoted in its README
# --------------------------------------------------------------------------------------------------
def build_bluebird(shared: Path) -> tuple[pd.DataFrame, dict]:
    folder = shared / "welinder_bluebird"
    labels = read_csv(folder / "labels.csv")
    gold = read_csv(folder / "gold.csv")
    frame = labels.merge(gold, on="image_id", how="left", validate="many_to_one")
    if frame["gold"].isna().any():
        raise RuntimeError("bluebird: an image has no gold label")
    out = pd.DataFrame({
        "item_id": frame["image_id"].astype(np.int64),
        "rater_id": frame["worker_id"].astype(np.int64),
        "method": "human",
        "value": frame["label"].astype(np.int64),
        "gold": frame["gold"].astype(np.int64),
    }).sort_values(["item_id", "rater_id"], kind="mergesort").reset_index(drop=True)
    votes = out.groupby("item_id").agg(mean=("value", "mean"), gold=("gold", "first"))
    # ties cannot occur with 39 votes per image
    majority_accuracy = float(((votes["mean"] > 0.5).astype(int) == votes["gold"]).mean())
    facts = {"majority_accuracy": majority_accuracy, "n_gold_positive": int(votes["gold"].sum())}
    return out, facts


def build_pandalm(shared: Path) -> tuple[pd.DataFrame, dict]:
    source = read_csv(shared / "pandalm_testset" / "pandalm_testset_with_judges.csv")
    pairs = source["cmp_key"].str.split("_", n=1, expand=True)
    # model names contain '-' and '.', never '_': the split is unambiguous
    if pairs.isna().any().any() or source["cmp_key"].str.count("_").ne(1).any():
        raise RuntimeError("pandalm: cmp_key does not split into two model names on one '_'")
    lengths = pd.DataFrame({
        "len_instruction": source["instruction"].fillna("").str.len() + source["input"].fillna("").str.len(),
        "len_a": source["response1"].fillna("").str.len(),
        "len_b": source["response2"].fillna("").str.len(),
    })
    item_columns = pd.DataFrame({
        "item_id": source["idx"].astype(np.int64),
        "system_a": pairs[0],
        "system_b": pairs[1],
        "comparison": source["cmp_key"],
    }).join(lengths)
    to_label = {0: "tie", 1: "A", 2: "B"}
    raters = [
        ("annotator1", "human", "annotator1"),
        ("annotator2", "human", "annotator2"),
        ("annotator3", "human", "annotator3"),
        ("gpt-3.5-turbo", "llm_judge", "gpt35_label"),
        ("pandalm-7b", "llm_judge", "pandalm7b_label"),
    ]
    # who supplies each rater's judgments: the human panel of the PandaLM authors, OpenAI's API, the
    # PandaLM model (lets vendor audits run on real data)
    vendors = {"annotator1": "pandalm-annotators", "annotator2": "pandalm-annotators",
               "annotator3": "pandalm-annotators", "gpt-3.5-turbo": "openai", "pandalm-7b": "pandalm"}
    parts = []
    unparseable = {}
    for rater_id, method, column in raters:
        codes = pd.to_numeric(source[column], errors="coerce")
        ok = codes.notna()
        unparseable[rater_id] = int((~ok).sum())
        part = item_columns[ok.to_numpy()].copy()
        part.insert(1, "rater_id", rater_id)
        part.insert(2, "method", method)
        part.insert(3, "value", codes[ok].astype(int).map(to_label).to_numpy())
        part.insert(4, "vendor", vendors[rater_id])
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    order = {rater_id: k for k, (rater_id, _, _) in enumerate(raters)}
    out = out.sort_values(["item_id", "rater_id"], key=lambda s: s.map(order) if s.name == "rater_id" else s,
                          kind="mergesort").reset_index(drop=True)
    raw_gpt = source["gpt_result"].astype(str)
    facts = {
        "unparseable": unparseable,
        "gpt_raw_counts": raw_gpt.value_counts().sort_index().to_dict(),
        "n_motivation_app": int(source["motivation_app"].nunique()),
        "comparisons": out.drop_duplicates("item_id")["comparison"].value_counts().sort_index().to_dict(),
        "n_empty_responses": int((lengths[["len_a", "len_b"]] == 0).sum().sum()),
    }
    return out, facts


def build_hanna(shared: Path) -> tuple[pd.DataFrame, dict]:
    source = pd.read_csv(shared / "hanna" / "hanna_per_story_human_llm_metric_scores.csv.gz")
    parts = []
    below_one: dict[str, int] = {}
    for criterion, abbreviation in HANNA_CRITERIA.items():
        base = pd.DataFrame({
            "item_id": source["story_id"].astype(str) + ":" + criterion,
            "story_id": source["story_id"].astype(np.int64),
            "system": source["model"],
            "criterion": criterion,
        })
        human = base.copy()
        human["rater_id"], human["method"], human["value"] = "human_mean", "human", source[criterion]
        parts.append(human)
        for llm in HANNA_LLMS:
            columns = [f"{llm} {abbreviation} {k}" for k in HANNA_CONFIGS]
            missing = [c for c in columns if c not in source.columns]
            if missing:
                raise RuntimeError(f"hanna: columns {missing} not found")
            judge = base.copy()
            judge["rater_id"], judge["method"] = llm, "llm_judge"
            judge["value"] = source[columns].mean(axis=1)
            below_one[f"{llm} / {criterion}"] = int((judge["value"] < 1).sum())
            parts.append(judge)
    out = pd.concat(parts, ignore_index=True)
    criterion_order = {c: k for k, c in enumerate(HANNA_CRITERIA)}
    rater_order = {r: k for k, r in enumerate(("human_mean", *HANNA_LLMS))}
    out["_c"], out["_r"] = out["criterion"].map(criterion_order), out["rater_id"].map(rater_order)
    out = (out.sort_values(["story_id", "_c", "_r"], kind="mergesort")
              .drop(columns=["_c", "_r", "story_id"])
              .reset_index(drop=True))
    out = out[["item_id", "rater_id", "method", "value", "system", "criterion"]]
    llm_columns = [c for c in source.columns
                   if c.split(" ")[0] in HANNA_LLMS and c.split(" ")[1] in HANNA_CRITERIA.values()]
    per_config = source[llm_columns]
    facts = {
        "below_one": below_one,
        "n_below_one": int(sum(below_one.values())),
        "n_rows": len(out),
        "n_config_minus_one": int((per_config == -1).sum().sum()),
        "n_config_below_one": int((per_config < 1).sum().sum()),
        "n_config_cells": int(per_config.size),
        "min_value": float(out["value"].min()),
        "max_value": float(out["value"].max()),
        "other_llms": sorted({c.split(" ")[0] for c in source.columns if c.endswith(" AVG 1")} - set(HANNA_LLMS)),
    }
    return out, facts


def build_convabuse(shared: Path) -> tuple[pd.DataFrame, dict]:
    folder = shared / "convabuse"
    long = read_csv(folder / "convabuse_long_labels.csv")
    full = read_csv(folder / "ConvAbuseEMNLPfull.csv", usecols=["example_no", "annotator_id", "bot"])
    merged = long.merge(full, on="example_no", how="left", validate="one_to_one", suffixes=("", "_full"))
    if merged["bot"].isna().any() or (merged["annotator_id"] != merged["annotator_id_full"]).any():
        raise RuntimeError("convabuse: example_no does not link every label to the full file")
    if merged.groupby("item_idx")["bot"].nunique().max() != 1:
        raise RuntimeError("convabuse: an item has more than one bot")
    repeats = merged[merged["repeat_index"] > 0]
    first = merged[merged["repeat_index"] == 0]
    out = pd.DataFrame({
        "item_id": first["item_idx"].astype(np.int64),
        "rater_id": first["annotator_id"],
        "method": "human",
        "value": first["abuse_level"].astype(np.int64),
        "bot": first["bot"],
    }).sort_values(["item_id", "rater_id"], kind="mergesort").reset_index(drop=True)
    # self-agreement of the repeats with the first annotation (exact level)
    pair = repeats.merge(first[["item_idx", "annotator_id", "abuse_level"]], on=["item_idx", "annotator_id"],
                         suffixes=("", "_first"))
    repeated_pairs = repeats[["item_idx", "annotator_id"]].drop_duplicates()
    facts = {
        "n_repeat_rows": len(repeats),
        "n_repeat_rows_by_index": repeats["repeat_index"].value_counts().sort_index().to_dict(),
        "n_repeated_pairs": len(repeated_pairs),
        "repeat_exact_agreement": float((pair["abuse_level"] == pair["abuse_level_first"]).mean()),
        "raters_per_item": out.groupby("item_id").size().value_counts().sort_index().to_dict(),
        "level_counts": out["value"].value_counts().sort_index().to_dict(),
        "bot_items": out.drop_duplicates("item_id")["bot"].value_counts().sort_index().to_dict(),
    }
    return out, facts


def build_wmt23_mqm_ende(shared: Path) -> tuple[pd.DataFrame, dict]:
    folder = shared / "wmt_mqm"
    scores = read_csv(folder / "sxs_mqm_generalMT2023_ende.segment_scores_by_rater.csv")
    errors = pd.read_csv(folder / "sxs_mqm_generalMT2023_ende.3ratingsPerSegment.no_metadata.tsv.gz", sep="\t",
                         keep_default_na=False, na_values=[""])
    # lengths of the texts without the <v>...</v> error-span marks; a few texts differ by whitespace between
    # raters' rows, so take the shortest (deterministic)
    for column in ("source", "target"):
        clean = errors[column].str.replace("<v>", "", regex=False).str.replace("</v>", "", regex=False)
        errors[f"{column}_len"] = clean.str.strip().str.len()
    lengths = errors.groupby(["system", "globalSegId"], as_index=False)[["source_len", "target_len"]].min()
    frame = scores.merge(lengths, on=["system", "globalSegId"], how="left", validate="many_to_one")
    if frame[["source_len", "target_len"]].isna().any().any():
        raise RuntimeError("wmt23_mqm_ende: a scored segment has no text in the error file")
    domains = frame["doc"].str.split("_", n=1).str[0]
    outlet = frame["doc"].str.split("_", n=1).str[1].str.replace(r"\.\d+:en-de$", "", regex=True)
    out = pd.DataFrame({
        "item_id": frame["globalSegId"].astype(str) + ":" + frame["system"],
        "rater_id": frame["rater"],
        "method": "human",
        "value": frame["mqm_penalty"].astype(float),
        "system": frame["system"],
        "doc": frame["doc"],
        "outlet": outlet,
        "source_len": frame["source_len"].astype(np.int64),
        "target_len": frame["target_len"].astype(np.int64),
        "_seg": frame["globalSegId"].astype(np.int64),
    })
    out = out.sort_values(["_seg", "system", "rater_id"], kind="mergesort").drop(columns="_seg")
    out = out.reset_index(drop=True)
    ratings = out.groupby("item_id").size()
    system_means = out.groupby("system")["value"].mean().sort_values()
    facts = {
        "domains": sorted(domains.unique().tolist()),
        "n_docs": int(out["doc"].nunique()),
        "n_outlets": int(out["outlet"].nunique()),
        "ratings_per_item": ratings.value_counts().to_dict(),
        "n_hotw_rows": int((errors["severity"] == "HOTW-test").sum()),
        "max_penalty": float(out["value"].max()),
        "share_zero": float((out["value"] == 0).mean()),
        "system_means": system_means.to_dict(),
    }
    return out, facts


def build_dices350(shared: Path) -> tuple[pd.DataFrame, dict]:
    folder = shared / "dices_via_judgebench"
    ratings = read_csv(folder / "dices_crowd_ratings_long.csv.gz")
    items = read_csv(folder / "dices_items.csv")
    ratings = ratings[ratings["subset"] == "dices350"]
    items = items[items["subset"] == "dices350"].copy()
    items["context_turns"] = items["conversation_context"].fillna("").str.strip().str.split("\n").str.len()
    items["context_len"] = items["conversation_context"].fillna("").str.len()
    items["response_len"] = items["model_response"].fillna("").str.len()
    frame = ratings.merge(items[["item_id", "expert_label", "crowd_majority", "context_turns", "context_len",
                                 "response_len"]], on="item_id", how="left", validate="many_to_one")
    if frame["expert_label"].isna().any():
        raise RuntimeError("dices350: an item has no expert label")
    out = pd.DataFrame({
        "item_id": frame["item_id"].astype(np.int64),
        "rater_id": "r" + frame["rating_position"].astype(str),
        "method": "human",
        "value": frame["q_overall_rating"],
        "gold": frame["expert_label"],
        "context_turns": frame["context_turns"].astype(np.int64),
        "context_len": frame["context_len"].astype(np.int64),
        "response_len": frame["response_len"].astype(np.int64),
        "_pos": frame["rating_position"].astype(np.int64),
    }).sort_values(["item_id", "_pos"], kind="mergesort").drop(columns="_pos").reset_index(drop=True)
    agree = (items["crowd_majority"] == items["expert_label"]).mean()
    facts = {
        "value_counts": out["value"].value_counts().sort_index().to_dict(),
        "gold_counts": items["expert_label"].value_counts().sort_index().to_dict(),
        "majority_vs_expert": float(agree),
        "ratings_per_item": out.groupby("item_id").size().value_counts().to_dict(),
    }
    return out, facts


BUILDERS: dict[str, Callable[[Path], tuple[pd.DataFrame, dict]]] = {
    "bluebird": build_bluebird,
    "pandalm": build_pandalm,
    "hanna": build_hanna,
    "convabuse": build_convabuse,
    "wmt23_mqm_ende": build_wmt23_mqm_ende,
    "dices350": build_dices350,
}


# --------------------------------------------------------------------------------------------------
# READMEs
# --------------------------------------------------------------------------------------------------
CLEAR_BSD = """\
Copyright (c) 2011-2012 Peter Welinder

All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted (subject to the limitations in the
disclaimer below) provided that the following conditions are met:

 * Redistributions of source code must retain the above copyright
   notice, this list of conditions and the following disclaimer.

 * Redistributions in binary form must reproduce the above copyright
   notice, this list of conditions and the following disclaimer in the
   documentation and/or other materials provided with the
   distribution.

 * Neither the name of <Owner Organization> nor the names of its
   contributors may be used to endorse or promote products derived
   from this software without specific prior written permission.

NO EXPRESS OR IMPLIED LICENSES TO ANY PARTY'S PATENT RIGHTS ARE
GRANTED BY THIS LICENSE.  THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT
HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR
BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY,
WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE
OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN
IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

MIT_HANNA = """\
MIT License

Copyright (c) 2022 lashoun

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

APACHE_NOTE = (
    "Licensed under the Apache License, Version 2.0 (https://www.apache.org/licenses/LICENSE-2.0). "
    "This file is a modified derivative of the upstream data (the changes are listed under *Transformation*); "
    "it is distributed on an \"AS IS\" basis, without warranties or conditions of any kind."
)
CC_BY_NOTE = (
    "Licensed under Creative Commons Attribution 4.0 International "
    "(https://creativecommons.org/licenses/by/4.0/). This file is adapted from the upstream data (the changes "
    "are listed under *Transformation*); no warranties are given."
)


def _header(name: str) -> str:
    spec = _REGISTRY[name]
    return "\n".join([
        f"# {name} — {spec.title}",
        "",
        spec.description,
        "",
        f"**Source:** {spec.source}. Copied from `shared/data/{SHARED_FOLDERS[name]}` and rebuilt by "
        "`scripts/prepare_datasets.py`.",
        "",
        f"**Licence:** {spec.license}.",
        "",
        f"**Citation:** {spec.citation}",
        "",
        f"**Scale:** {spec.scale}.",
        "",
        f"**Counts (as loaded by `alignlab.datasets.load({name!r})`):** {spec.n_judgments:,} judgments, "
        f"{spec.n_items:,} items, {spec.n_raters:,} raters; methods: {', '.join(spec.methods)}; "
        f"segments: {', '.join(spec.segments) if spec.segments else 'none'}.",
        "",
    ])


SHARED_FOLDERS = {
    "bluebird": "welinder_bluebird",
    "pandalm": "pandalm_testset",
    "hanna": "hanna",
    "convabuse": "convabuse",
    "wmt23_mqm_ende": "wmt_mqm",
    "dices350": "dices_via_judgebench",
}


def readme_bluebird(facts: dict) -> str:
    return _header("bluebird") + f"""
## Columns
`item_id` (image id), `rater_id` (worker id), `method` (`human`), `value` (0/1), `gold` (expert label,
{facts['n_gold_positive']} of 108 images are 1).

## Transformation
The upstream YAML files (`labels.yaml`: worker -> image -> true/false; `gt.yaml`: image -> true/false) were
converted to CSV with true = 1, false = 0; the gold label is joined onto every row. Nothing was excluded.
Complete design: every one of the 39 workers labelled every one of the 108 images.

## Reference numbers
- Majority-vote accuracy against the gold labels: **{facts['majority_accuracy']:.4f}** (error 24.07%), as
  published in Zhang et al. 2014 (*Spectral Methods meet EM*, Table 2: majority-vote error 24.07%,
  opt-D&S error 10.09%) and recomputed in `shared/data/welinder_bluebird`. Checked by `tests/test_datasets.py`.

## Licence text (Clear BSD, as in the upstream LICENSE.TXT)
```
{CLEAR_BSD}```
"""


def readme_pandalm(facts: dict) -> str:
    comparisons = ", ".join(f"{k} {v}" for k, v in facts["comparisons"].items())
    raw = ", ".join(f"{k!r}: {v}" for k, v in facts["gpt_raw_counts"].items())
    return _header("pandalm") + f"""
## Columns
`item_id` (upstream `idx`), `rater_id`, `method`, `value` (`A`/`B`/`tie`), `system_a`, `system_b`,
`comparison` (the upstream `cmp_key`, e.g. `bloom-7b_llama-7b`), `len_instruction` (characters of the
instruction plus its input), `len_a`, `len_b` (characters of response 1 and response 2).

## Transformation
- Upstream labels 1 (response1 better) -> `A`, 2 (response2 better) -> `B`, 0 -> `tie`, for the human
  annotators `annotator1`..`annotator3` (method `human`) and the judges `gpt-3.5-turbo` and `pandalm-7b`
  (method `llm_judge`).
- `vendor`: who supplies each rater's judgments — `pandalm-annotators` (the PandaLM authors' human
  panel), `openai` (gpt-3.5-turbo), `pandalm` (pandalm-7b); added by alignlab so vendor audits run on real data.
- `system_a`/`system_b`: `cmp_key` split on its single `_` (model names contain `-` and `.` but never `_`):
  bloom-7b, cerebras-gpt-6.7B, llama-7b, opt-7b, pythia-6.9b. As in other public conversions of this test
  set, the first name is taken as the model of `response1`. Items per pair: {comparisons}.
- Unparseable judge verdicts are **left out**: gpt-3.5-turbo {facts['unparseable']['gpt-3.5-turbo']} rows
  (raw verdict `garbage`; raw verdict counts {raw}), pandalm-7b {facts['unparseable']['pandalm-7b']} rows.
  Human labels are complete.
- Dropped: the instruction, input, both responses, the judges' reasons and reference answers (long text),
  and `motivation_app` ({facts['n_motivation_app']} uncleaned levels with near-duplicates such as `Yelp`/`yelp`
  and `Wolfram alpha`/`(Wolfram alpha)?`, too many for a segment). {facts['n_empty_responses']} responses are
  empty strings (length 0).

## Reference numbers
- Pairwise Cohen's kappa between the human annotators: **0.852 (1-2), 0.879 (1-3), 0.862 (2-3)**, the table
  in the PandaLM README (0.85, 0.88, 0.86), recomputed in `shared/data/pandalm_testset`. Checked by
  `tests/test_datasets.py` with `sklearn.metrics.cohen_kappa_score`.
- Human-majority label counts: tie 105, A 422, B 472 (PandaLM README). The test set was filtered to items with
  high inter-annotator agreement (2.5K -> 1K), so human agreement is inflated by design.
- Helper's recomputation (not checked here): gpt-3.5-turbo accuracy 0.716 / macro-F1 0.533 against the human
  majority (974 parseable), PandaLM-7B 0.668 / 0.574. Per-judge precision/recall/F1: paper Table 2.

## Licence
{APACHE_NOTE}
"""


def readme_hanna(facts: dict) -> str:
    below = ", ".join(f"{k} {v}" for k, v in facts["below_one"].items() if v)
    return _header("hanna") + f"""
## Columns
`item_id` (`<story_id>:<criterion>`, e.g. `17:Coherence`; story ids 0-1055 as upstream: system index x 96 +
prompt index), `rater_id` (`human_mean`, `Beluga-13B`, `Mistral-7B`, `Llama-13B`, `ChatGPT`), `method`
(`human` / `llm_judge`), `value`, `system` (the story generator: Human, BertGeneration, CTRL, GPT, GPT-2 (tag),
GPT-2, RoBERTa, XLNet, Fusion, HINT, TD-VAE), `criterion` (segment).

## Transformation
- From the per-story reshaping of `hanna_metric_scores_llm.csv` (one row per story), one row per story x
  criterion x rater. `human_mean` is the upstream criterion column (mean of the 3 MTurk ratings, as released).
  Each LLM value is the mean of the upstream columns `<LLM> <abbrev> 1..4` (the paper's four prompting
  configurations; abbrev RE, CH, EM, SU, EG, CX).
- Dropped: the 72 automatic metrics, the `AVG` columns, the other LLM in the upstream file
  ({', '.join(facts['other_llms'])}), and the per-position human ratings `Human 1..3 <abbrev>` (integers 1-5;
  the three ratings whose mean is `human_mean`; their positions are not rater identities, so they are not
  bundled as raters).

## Values outside [1, 5]
Upstream LLM scores are averages that include the code -1 for answers without a usable rating: per-config
values go down to -1 ({facts['n_config_minus_one']} of {facts['n_config_cells']:,} per-config cells are exactly
-1, {facts['n_config_below_one']} are below 1). After averaging the four configurations, **{facts['n_below_one']}
LLM rows are below 1** (min {facts['min_value']:.3f}) of the file's {facts['n_rows']:,} rows: {below}. The file keeps the upstream values so the
reference correlations below reproduce exactly. `alignlab.datasets.load('hanna')` declares
`Scale.continuous(1, 5)` with `on_invalid='drop'`: those {facts['n_below_one']} rows are excluded and each is
listed in `Judgments.exclusions` ("value outside the scale bounds"). Means of 1 or more can still contain a
-1 answer averaged with valid ones; that cannot be undone from the released averages.

## Reference numbers
Spearman correlation between `human_mean` and the LLM's mean over its 4 configurations, 1,056 stories, computed
from this file (all rows) — recomputed in `shared/data/hanna`, checked by `tests/test_datasets.py` (tolerance
0.002): Relevance — Beluga-13B 0.476, Mistral-7B 0.470, Llama-13B 0.364, ChatGPT 0.373; Coherence — 0.522 /
0.453 / 0.430 / 0.456; Complexity — 0.553 / 0.495 / 0.405 / 0.451. With the out-of-range rows excluded (as
`load()` does) the Relevance values move slightly (Beluga-13B 0.479). The paper reports system- and story-level
Kendall correlations (its Tables 3-5).

## Licence text (MIT, as in the upstream LICENSE; the shared copy's README names the holder "dig-team")
```
{MIT_HANNA}```
"""


def readme_convabuse(facts: dict) -> str:
    by_index = ", ".join(f"repeat_index {k}: {v}" for k, v in facts["n_repeat_rows_by_index"].items())
    per_item = ", ".join(f"{k}: {v}" for k, v in facts["raters_per_item"].items())
    levels = ", ".join(f"{k}: {v}" for k, v in facts["level_counts"].items())
    bots = ", ".join(f"{k} {v}" for k, v in facts["bot_items"].items())
    return _header("convabuse") + f"""
## Columns
`item_id` (the helper's `item_idx`: identical (conversation, previous turns, agent, user, bot) contexts),
`rater_id` (`Annotator1`..`Annotator8`), `method` (`human`), `value` (abuse level), `bot` (segment).

## Transformation
- From `convabuse_long_labels.csv` (the one-hot `is_abuse.*` columns of the full file collapsed into one level
  per annotation), with `bot` joined from `ConvAbuseEMNLPfull.csv` via `example_no`.
- Only the first annotation of each (item, annotator) is kept (`repeat_index == 0`). **{facts['n_repeat_rows']}
  repeat rows are left out** ({by_index}): {facts['n_repeated_pairs']} (item, annotator) pairs were annotated
  more than once, 12 of them three times. Exact agreement of the {facts['n_repeat_rows']} repeats with the
  first annotation of the same pair: {facts['repeat_exact_agreement']:.3f} (shared README: 0.922 over 345 pairs).
- Dropped: the conversation texts, abuse type, target and direction columns, the paper's split.
- Items per bot: {bots}. Raters per item: {per_item}. Level counts: {levels}.

## Reference numbers
12,768 annotations in the full release = 12,411 first annotations (this file) + 345 + 12 repeats; 4,185
items; 8 annotators (ConvAbuse paper; shared README). Binary abusive = level < 0. No gold labels.

## Licence
{CC_BY_NOTE}
"""


def readme_wmt(facts: dict) -> str:
    means = ", ".join(f"{k} {v:.2f}" for k, v in facts["system_means"].items())
    return _header("wmt23_mqm_ende") + f"""
## Columns
`item_id` (`<globalSegId>:<system>`, e.g. `17:ONLINE-W`: one translated segment), `rater_id` (`rater1`..
`rater10`), `method` (`human`), `value` (MQM penalty of the segment by that rater), `system`, `doc` (document
id), `outlet` (news outlet parsed from `doc`, e.g. `cbsnews`), `source_len` and `target_len` (characters of the
source paragraph and of the translation, error-span marks removed).

## Transformation
- From `sxs_mqm_generalMT2023_ende.segment_scores_by_rater.csv` (the helper's per-rater segment penalties
  computed with the repository's standard weights: Major 5, Minor 1, Minor Fluency/Punctuation 0.1,
  Non-translation 25, Neutral/No-error 0; the {facts['n_hotw_rows']} injected `HOTW-test` quality-control rows
  weigh 0).
- Lengths from `sxs_mqm_generalMT2023_ende.3ratingsPerSegment.no_metadata.tsv.gz` (text with `<v>`/`</v>`
  removed and stripped; a few texts differ by whitespace or quoting between rows, the shortest is kept).
  The texts themselves are not bundled.
- No domain column: every document is from the news domain (`doc` prefixes: {', '.join(facts['domains'])}),
  so `outlet` ({facts['n_outlets']} levels) and `doc` ({facts['n_docs']} levels) are given instead.
- Every item has exactly 3 ratings ({facts['ratings_per_item']}). Upper bound: none (the penalty is a
  weighted error count; max observed {facts['max_penalty']:.1f}); {facts['share_zero']:.1%} of the ratings
  are 0 (no error).

## Reference numbers
No published per-rater reference for this subset. Mean penalty per system (lower is better; regression
values computed from this file): {means}.

## Licence
{APACHE_NOTE}
"""


def readme_dices(facts: dict) -> str:
    counts = ", ".join(f"{k} {v:,}" for k, v in facts["value_counts"].items())
    gold = ", ".join(f"{k} {v}" for k, v in facts["gold_counts"].items())
    return _header("dices350") + f"""
## Columns
`item_id` (DICES-350 item id), `rater_id` (`r0`..`r122`, pseudo ids, see below), `method` (`human`), `value`
(`No`/`Unsure`/`Yes`; counts {counts}), `gold` (expert label, {gold}), `context_turns` (lines in the
conversation context), `context_len`, `response_len` (characters).

## Transformation
- From JUDGE-BENCH's DICES-350 files (per-item lists of 123 crowd answers to the overall question + expert
  label), via the helper's long CSV. DICES-990 is not bundled (its list positions are not comparable raters).
- **Rater ids are pseudo ids**: the released lists carry no rater ids. In DICES-350 every one of the 123
  raters rated every item, and the list position behaves like a stable rater index (the per-position "Yes"
  rate has SD 0.196 across positions vs 0.024 after shuffling within items; helper's analysis), so
  `r<position>` is used. This is an inference, not documented upstream: rater-level results (annotator models,
  per-rater reliability) rest on it; item-level statistics such as Krippendorff's alpha do not.
- Dropped: the conversation and response texts (lengths kept), `crowd_majority` (derivable).

## Label meaning
In the original DICES data the overall question asks whether the conversation is *unsafe* ("Yes" = unsafe).
JUDGE-BENCH's prompt phrases it as "Is the model response safe?", which would invert it (its published
LLM-vs-human correlations on these subsets are negative, consistent with such an inversion). Read "Yes" as
unsafe, as in DICES. Crowd majority agrees with the expert label on {facts['majority_vs_expert']:.1%} of items.

## Reference numbers
- Krippendorff's alpha among the crowd, nominal, 3 categories: **0.161**, published by JUDGE-BENCH (Bavaresco
  et al. 2025) for DICES-350; this file gives 0.1609 with the `krippendorff` package. Checked by
  `tests/test_datasets.py`. (Alpha depends only on each item's answer counts, so the pseudo rater ids do not
  affect it.)

## Licence
{CC_BY_NOTE}
"""


READMES: dict[str, Callable[[dict], str]] = {
    "bluebird": readme_bluebird,
    "pandalm": readme_pandalm,
    "hanna": readme_hanna,
    "convabuse": readme_convabuse,
    "wmt23_mqm_ende": readme_wmt,
    "dices350": readme_dices,
}


# --------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------
def csv_gz_bytes(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    # no file name and mtime=0 in the gzip header: byte-identical rebuilds
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def build_all(shared: Path) -> dict[str, bytes]:
    if set(BUILDERS) != set(_REGISTRY):
        raise RuntimeError(f"builders {sorted(BUILDERS)} and registry {sorted(_REGISTRY)} differ")
    files: dict[str, bytes] = {}
    for name, builder in BUILDERS.items():
        frame, facts = builder(shared)
        files[_REGISTRY[name].file] = csv_gz_bytes(frame)
        files[_REGISTRY[name].readme] = READMES[name](facts).encode("utf-8")
    return files


def verify_counts() -> None:
    from alignlab import datasets

    problems = []
    for name, spec in _REGISTRY.items():
        judgments = datasets.load(name)
        observed = (len(judgments), judgments.n_items, judgments.n_raters, tuple(judgments.methods),
                    judgments.segments)
        expected = (spec.n_judgments, spec.n_items, spec.n_raters, spec.methods, spec.segments)
        if observed != expected:
            problems.append(f"{name}: registry says {expected}, the file gives {observed}")
        print(f"{name:16s} {len(judgments):7,d} judgments {judgments.n_items:6,d} items "
              f"{judgments.n_raters:4d} raters  excluded {judgments.n_excluded}")
    if problems:
        raise SystemExit("Registry counts are out of date:\n" + "\n".join(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the alignlab/datasets/_data folder")
    parser.add_argument("--check", action="store_true", help="fail if a bundled file differs from a rebuild")
    args = parser.parse_args(argv)
    files = build_all(args.shared)
    if args.check:
        stale = [name for name, content in files.items()
                 if not (args.out / name).exists() or (args.out / name).read_bytes() != content]
        if stale:
            print("out of date:", ", ".join(sorted(stale)))
            return 1
        print("all bundled files are up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in sorted(files.items()):
        (args.out / name).write_bytes(content)
    total = sum(len(content) for content in files.values())
    print(f"wrote {len(files)} files to {args.out} ({total / 1e6:.2f} MB)")
    if args.out.resolve() == DEFAULT_OUT.resolve():
        verify_counts()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
