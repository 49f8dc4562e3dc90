"""Bundled real datasets: human raters, LLM judges and expert labels from published studies.

Every dataset is a gzipped long table (one row per judgment) in ``alignlab/datasets/_data`` with a README
beside it giving the upstream source (repository, path, commit), the licence, the citation, what was
transformed and the published reference numbers. The files are rebuilt deterministically from the
upstream copies by ``scripts/prepare_datasets.py``.

Examples
--------
>>> import alignlab
>>> table = alignlab.datasets.list()
>>> "bluebird" in set(table["name"])
True
>>> judgments = alignlab.datasets.load("bluebird")
>>> judgments.n_items, judgments.n_raters
(108, 39)
>>> alignlab.datasets.info("bluebird").license
'Clear BSD License (Copyright (c) 2011-2012 Peter Welinder)'
"""

from __future__ import annotations

import builtins
import difflib
import gzip
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

import pandas as pd

from alignlab._params import InvalidParameterError, check_param
from alignlab.data.judgments import Judgments, load_judgments
from alignlab.data.scales import Scale

__all__ = ["DatasetInfo", "info", "list", "load"]

_DATA_PACKAGE = "alignlab.datasets"
_DATA_DIR = "_data"
# Canonical column names are used in every bundled file; the mapping is still passed explicitly so the
# loader never depends on alias detection.
_CANONICAL = {"item": "item_id", "rater": "rater_id", "method": "method", "value": "value"}


@dataclass(frozen=True, kw_only=True)
class DatasetInfo:
    """Description of one bundled dataset.

    Attributes
    ----------
    name : str
        The name to pass to :func:`load`.
    title, description : str
        What the data is, in one line and in a paragraph.
    file, readme : str
        File names inside ``alignlab/datasets/_data``.
    license, citation, source : str
        Licence as stated upstream, how to cite the data, and the upstream repository + path + commit.
    scale : str
        The measurement scale and how to read it (direction, codes).
    n_judgments, n_items, n_raters : int
        Counts of :func:`load`'s result (after the documented exclusions).
    methods, segments : tuple of str
        Rating methods (``human``, ``llm_judge``) and segment columns.
    loader_kwargs : mapping
        Keyword arguments of :func:`alignlab.load_judgments` used by :func:`load` (column mapping,
        :class:`~alignlab.Scale`, segments, duplicate and invalid-row policy).
    """

    name: str
    title: str
    description: str
    file: str
    readme: str
    license: str
    citation: str
    source: str
    scale: str
    n_judgments: int
    n_items: int
    n_raters: int
    methods: tuple[str, ...]
    segments: tuple[str, ...]
    loader_kwargs: Mapping[str, Any] = field(compare=False)
    # dtypes for reading the CSV (ids kept as text where they are text upstream); private to load()
    _dtypes: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        lines = [
            f"{self.name}: {self.title}",
            f"  {self.n_judgments:,} judgments, {self.n_items:,} items, {self.n_raters:,} raters; "
            f"methods: {', '.join(self.methods)}",
            f"  scale: {self.scale}",
            f"  segments: {', '.join(self.segments) if self.segments else '(none)'}",
            f"  license: {self.license}",
            f"  citation: {self.citation}",
            f"  source: {self.source}",
        ]
        return "\n".join(lines)


def _spec(
    *,
    name: str,
    title: str,
    description: str,
    license: str,
    citation: str,
    source: str,
    scale: Scale,
    scale_note: str,
    n_judgments: int,
    n_items: int,
    n_raters: int,
    methods: tuple[str, ...],
    segments: tuple[str, ...],
    extra_columns: Mapping[str, str] | None = None,
    dtypes: Mapping[str, str] | None = None,
    on_invalid: str = "error",
) -> DatasetInfo:
    kwargs: dict[str, Any] = {"scale": scale, **_CANONICAL, **(extra_columns or {}),
                              "segments": builtins.list(segments), "duplicates": "error",
                              "on_invalid": on_invalid}
    return DatasetInfo(
        name=name,
        title=title,
        description=description,
        file=f"{name}.csv.gz",
        readme=f"{name}.README.md",
        license=license,
        citation=citation,
        source=source,
        scale=f"{scale.describe()}; {scale_note}",
        n_judgments=n_judgments,
        n_items=n_items,
        n_raters=n_raters,
        methods=methods,
        segments=segments,
        loader_kwargs=MappingProxyType(kwargs),
        _dtypes=MappingProxyType(dict(dtypes or {})),
    )


# The counts below are checked against the files by tests/test_datasets.py and by
# scripts/prepare_datasets.py after every rebuild.
_REGISTRY: dict[str, DatasetInfo] = {
    spec.name: spec
    for spec in (
        _spec(
            name="bluebird",
            title="Bluebirds: binary image labels by 39 MTurk workers with expert gold (Welinder et al. 2010)",
            description=(
                "108 bird images, each labelled by all 39 Mechanical Turk workers as one of two species "
                "(Indigo Bunting vs. Blue Grosbeak; which one is 1 is not documented upstream). Expert "
                "gold labels for every image. A classic complete-design truth-inference benchmark."
            ),
            license="Clear BSD License (Copyright (c) 2011-2012 Peter Welinder)",
            citation=(
                "Peter Welinder, Steve Branson, Serge Belongie, Pietro Perona. The Multidimensional Wisdom "
                "of Crowds. NIPS 2010."
            ),
            source=(
                "github.com/welinder/cubam @ fe5ba700f1ad (branch public): demo/bluebirds/labels.yaml, "
                "demo/bluebirds/gt.yaml"
            ),
            scale=Scale.binary((0, 1)),
            scale_note="two bird species coded 0/1; gold from the expert labels",
            n_judgments=4212,
            n_items=108,
            n_raters=39,
            methods=("human",),
            segments=(),
            extra_columns={"gold": "gold"},
        ),
        _spec(
            name="pandalm",
            title="PandaLM test set: pairwise preferences by 3 human annotators and 2 LLM judges",
            description=(
                "999 instructions, each answered by two of five instruction-tuned ~7B models (bloom-7b, "
                "cerebras-gpt-6.7B, llama-7b, opt-7b, pythia-6.9b). Three human annotators and two LLM judges "
                "(gpt-3.5-turbo, PandaLM-7B) say which response is better or call a tie. The test set was "
                "filtered to items with high inter-annotator agreement, so human agreement is high by design."
            ),
            license="Apache License 2.0",
            citation=(
                "Yidong Wang, Zhuohao Yu, Zhengran Zeng, et al. PandaLM: An Automatic Evaluation Benchmark "
                "for LLM Instruction Tuning Optimization. ICLR 2024."
            ),
            source=(
                "github.com/WeOpenML/PandaLM @ 3871806e72b4: data/testset-v1.json, "
                "data/gpt-3.5-turbo-testset-v1.json, data/pandalm-7b-testset-v1.json"
            ),
            scale=Scale.pairwise(),
            scale_note="A = response of system_a better, B = response of system_b better, tie",
            n_judgments=4970,
            n_items=999,
            n_raters=5,
            methods=("human", "llm_judge"),
            segments=("comparison", "len_instruction", "len_a", "len_b"),
            extra_columns={"system_a": "system_a", "system_b": "system_b"},
        ),
        _spec(
            name="hanna",
            title="HANNA: story ratings on six criteria, human mean vs four LLM judges",
            description=(
                "1,056 stories (96 WritingPrompts prompts x 10 generators + the human-written story) rated on "
                "six criteria (Relevance, Coherence, Empathy, Surprise, Engagement, Complexity). An item is a "
                "story x criterion. Raters: 'human_mean' (the mean of 3 MTurk ratings, as released) and four "
                "LLM judges (Beluga-13B, Mistral-7B, Llama-13B, ChatGPT), each the mean over the paper's four "
                "prompting configurations. LLM means below 1 (failed answers averaged in upstream) are "
                "excluded by load() and listed in Judgments.exclusions."
            ),
            license="MIT License (Copyright (c) 2022 dig-team / lashoun)",
            citation=(
                "Cyril Chhun, Fabian M. Suchanek, Chloe Clavel. Do Language Models Enjoy Their Own Stories? "
                "Prompting Large Language Models for Automatic Story Evaluation. TACL 12:1122-1142, 2024. "
                "Dataset: Chhun, Colombo, Suchanek, Clavel. Of Human Criteria and Automatic Metrics: A "
                "Benchmark of the Evaluation of Story Generation. COLING 2022."
            ),
            source="github.com/dig-team/hanna-benchmark-asg @ 282f27536a5d: hanna_metric_scores_llm.csv",
            scale=Scale.continuous(1, 5),
            scale_note="mean ratings on a 1-5 Likert scale, higher is better",
            n_judgments=31550,
            n_items=6336,
            n_raters=5,
            methods=("human", "llm_judge"),
            segments=("criterion",),
            extra_columns={"system": "system"},
            dtypes={"item_id": "str"},
            on_invalid="drop",
        ),
        _spec(
            name="convabuse",
            title="ConvAbuse: abuse ratings of user turns in conversations with two chatbots, 8 expert annotators",
            description=(
                "4,185 user turns from conversations with the E.L.I.Z.A. and CarbonBot chatbots, each rated by "
                "2-7 of 8 annotators (gender-studies experts) on a five-level abuse scale. No gold: the "
                "disagreement is the object of study. First annotations only (repeat annotations left out)."
            ),
            license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
            citation=(
                "Amanda Cercas Curry, Gavin Abercrombie, Verena Rieser. ConvAbuse: Data, Analysis, and "
                "Benchmarks for Nuanced Abuse Detection in Conversational AI. EMNLP 2021, pp. 7388-7403."
            ),
            source="github.com/amandacurry/convabuse @ c0a9469f4895: 1_full/ConvAbuseEMNLPfull.csv",
            scale=Scale.ordinal([-3, -2, -1, 0, 1]),
            scale_note=(
                "most abusive first: -3 very strongly, -2 strongly, -1 mildly abusive, 0 ambiguous, 1 not abusive"
            ),
            n_judgments=12411,
            n_items=4185,
            n_raters=8,
            methods=("human",),
            segments=("bot",),
        ),
        _spec(
            name="wmt23_mqm_ende",
            title="WMT23 English-German MQM: expert error penalties, 3 raters per translated segment",
            description=(
                "Side-by-side MQM annotation of 10 WMT23 general-task systems (incl. the reference refA) on "
                "104 English news paragraphs translated into German. Every (system, segment) item has 3 of "
                "10 professional raters; the value is the segment's weighted error penalty."
            ),
            license="Apache License 2.0",
            citation=(
                "Markus Freitag, George Foster, David Grangier, Viresh Ratnakar, Qijun Tan, Wolfgang Macherey. "
                "Experts, Errors, and Context: A Large-Scale Study of Human Evaluation for Machine Translation. "
                "TACL 2021. Data: google/wmt-mqm-human-evaluation (WMT23 generalMT en-de, side-by-side MQM)."
            ),
            source=(
                "github.com/google/wmt-mqm-human-evaluation @ 7fadea281aff: "
                "generalMT2023/ende/sxs_mqm_generalMT2023_ende.3ratingsPerSegment.tsv.tar.gz"
            ),
            scale=Scale.continuous(0, math.inf),
            scale_note=(
                "MQM penalty, lower is better: Major 5, Minor 1, Minor Fluency/Punctuation 0.1, "
                "Non-translation 25 per error; 0 = no error; no upper bound (max observed 81.4)"
            ),
            n_judgments=3120,
            n_items=1040,
            n_raters=10,
            methods=("human",),
            segments=("doc", "outlet", "source_len", "target_len"),
            extra_columns={"system": "system"},
            dtypes={"item_id": "str"},
        ),
        _spec(
            name="dices350",
            title="DICES-350: safety ratings of chatbot conversations by 123 crowd raters, with expert labels",
            description=(
                "350 adversarial conversations with a chatbot (LaMDA), each rated by the same 123 crowd raters "
                "on the overall question of the DICES study (Yes / Unsure / No), with an expert label for every "
                "item. Rater ids are pseudo ids r0..r122 from the position in the released rating lists (see "
                "the README: positions behave like stable raters in DICES-350)."
            ),
            license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
            citation=(
                "Lora Aroyo, Alex S. Taylor, Mark Diaz, Christopher M. Homan, Alicia Parrish, Greg "
                "Serapio-Garcia, Vinodkumar Prabhakaran, Ding Wang. DICES Dataset: Diversity in Conversational "
                "AI Evaluation for Safety. NeurIPS 2023 Datasets and Benchmarks. Conversion: Bavaresco et al. "
                "LLMs instead of Human Judges? A Large Scale Empirical Study across 20 NLP Evaluation Tasks. "
                "ACL 2025 (JUDGE-BENCH)."
            ),
            source=(
                "github.com/dmg-illc/JUDGE-BENCH @ 5a0bf500325c: data/dices/dices_350_crowdsourced.json, "
                "data/dices/dices_350_expert.json (converted from google-research-datasets/dices-dataset)"
            ),
            scale=Scale.categorical(["No", "Unsure", "Yes"]),
            scale_note=(
                "answer to the DICES overall question; in the original DICES data 'Yes' means the "
                "conversation is unsafe (JUDGE-BENCH's prompt phrases it the other way round; see the README)"
            ),
            n_judgments=43050,
            n_items=350,
            n_raters=123,
            methods=("human",),
            segments=("context_turns", "context_len", "response_len"),
            extra_columns={"gold": "gold"},
            dtypes={"rater_id": "str"},
        ),
    )
}


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------
def _get(name: Any, caller: str) -> DatasetInfo:
    check_param("name", name, [str], caller)
    if name in _REGISTRY:
        return _REGISTRY[name]
    available = builtins.list(_REGISTRY)
    lowered = {key.lower(): key for key in available}
    close = difflib.get_close_matches(name.lower(), builtins.list(lowered), n=1, cutoff=0.5)
    hint = f" Did you mean {lowered[close[0]]!r}?" if close else ""
    raise InvalidParameterError(
        f"Unknown dataset {name!r}.{hint} Available datasets: {', '.join(available)} "
        "(see alignlab.datasets.list())."
    )


def list() -> pd.DataFrame:  # shadows the builtin on purpose; use builtins.list in this module
    """One row per bundled dataset.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``title``, ``scale``, ``n_judgments``, ``n_items``, ``n_raters``, ``methods``
        and ``segments`` (comma-separated), ``license``, ``citation`` and ``source`` (upstream repository,
        commit and paths).

    Examples
    --------
    >>> import alignlab
    >>> alignlab.datasets.list()[["name", "n_items"]].head(2)
           name  n_items
    0  bluebird      108
    1   pandalm      999
    """
    rows = [
        {
            "name": spec.name,
            "title": spec.title,
            "scale": spec.scale,
            "n_judgments": spec.n_judgments,
            "n_items": spec.n_items,
            "n_raters": spec.n_raters,
            "methods": ", ".join(spec.methods),
            "segments": ", ".join(spec.segments),
            "license": spec.license,
            "citation": spec.citation,
            "source": spec.source,
        }
        for spec in _REGISTRY.values()
    ]
    return pd.DataFrame(rows)


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of a bundled dataset (source, licence, citation, scale, loader options).

    Examples
    --------
    >>> import alignlab
    >>> alignlab.datasets.info("pandalm").methods
    ('human', 'llm_judge')
    """
    return _get(name, "alignlab.datasets.info")


def load(name: str) -> Judgments:
    """Load a bundled dataset as a validated :class:`~alignlab.Judgments` table.

    Parameters
    ----------
    name : str
        One of the names in :func:`list` (``"bluebird"``, ``"pandalm"``, ``"hanna"``, ``"convabuse"``,
        ``"wmt23_mqm_ende"``, ``"dices350"``).

    Returns
    -------
    Judgments

    Raises
    ------
    ValueError
        If ``name`` is not a bundled dataset (the message lists them and suggests a close match).

    Notes
    -----
    The file is read with ``importlib.resources`` (so it works from an installed wheel) and passed to
    :func:`alignlab.load_judgments` with :attr:`DatasetInfo.loader_kwargs`.

    Examples
    --------
    >>> import alignlab
    >>> judgments = alignlab.datasets.load("pandalm")
    >>> judgments.scale.kind, judgments.n_raters
    ('pairwise', 5)
    """
    spec = _get(name, "alignlab.datasets.load")
    return load_judgments(_read_frame(spec), **spec.loader_kwargs)


def _read_frame(spec: DatasetInfo) -> pd.DataFrame:
    resource = resources.files(_DATA_PACKAGE).joinpath(_DATA_DIR, spec.file)
    with resource.open("rb") as raw, gzip.open(raw, "rb") as handle:
        # keep_default_na=False: only empty fields are missing (no text such as "NA" or "None" turns into NaN)
        return pd.read_csv(handle, dtype=dict(spec._dtypes), keep_default_na=False, na_values=[""])
