"""The shipped example: three AI features measured over four releases, built from bundled real data.

- **story** (HANNA, Chhun et al. 2022): each release is one story-generation system of HANNA; the human
  rating (``human_mean``, the mean of three raters) is kept on a 40% label budget of the stories
  (story number mod 5 in {0, 1}), so PPI has judge-only items to add; four LLM judges score every story.
- **chat** (PandaLM, Wang et al. 2024): each release is one model compared with the ``opt-7b`` baseline
  on PandaLM's instruction set (three human annotators, two LLM judges on every comparison).
- **translation** (WMT23 MQM en-de, Freitag et al. 2023): each release is one MT system; three MQM
  raters per segment (human only). ``production_translation.csv`` is an *illustrative* production mix
  of news outlets (seeded draw, not real traffic) for the production-weighted diagnostic.

Releases (``releases()``): 2025.1 .. 2025.4, one system per feature each. Nothing is simulated: every
judgment is the published one; only the selection of rows (and the story label budget) is ours.

Examples
--------
>>> from alignlab.metrics.examples import load_release, releases
>>> list(releases()["release"])
['2025.1', '2025.2', '2025.3', '2025.4']
>>> data = load_release("2025.4")
>>> sorted(data), data["chat"].n_items
(['chat', 'story', 'translation'], 100)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from alignlab._params import DataError, InvalidParameterError
from alignlab.data import Judgments, load_judgments

__all__ = ["releases", "load_release", "spec_path", "write_example_data", "BASELINE"]

BASELINE = "opt-7b"
_RELEASES = pd.DataFrame({
    "release": ["2025.1", "2025.2", "2025.3", "2025.4"],
    "date": ["2025-01-15", "2025-04-15", "2025-07-15", "2025-10-15"],
    "story": ["XLNet", "RoBERTa", "GPT-2", "BertGeneration"],
    "chat": ["cerebras-gpt-6.7B", "bloom-7b", "llama-7b", "pythia-6.9b"],
    "translation": ["NLLB_MBR_BLEU", "Lan-BridgeMT", "ONLINE-A", "ONLINE-W"],
})


def releases() -> pd.DataFrame:
    """One row per release: its date and the system of each feature."""
    return _RELEASES.copy()


def spec_path(kind: str = "toml") -> Path:
    """Path of the example spec (``features.toml``; ``kind="yaml"`` for the YAML twin)."""
    name = "features.toml" if kind == "toml" else "features.yaml"
    return Path(str(resources.files(__name__).joinpath(name)))


@lru_cache(maxsize=4)
def _dataset(name: str) -> Judgments:
    from alignlab import datasets

    return datasets.load(name)


def _rebuild(j: Judgments, frame: pd.DataFrame) -> Judgments:
    return load_judgments(frame.drop(columns=["source_row"], errors="ignore").reset_index(drop=True),
                          scale=j.scale, segments=list(j.segments))


def _row(release: str) -> pd.Series:
    match = _RELEASES[_RELEASES["release"] == release]
    if match.empty:
        raise InvalidParameterError(f"Unknown release {release!r}; the example has {list(_RELEASES['release'])}.")
    return match.iloc[0]


def load_release(release: str) -> dict[str, Judgments]:
    """The judgments of one release: ``{"story": ..., "chat": ..., "translation": ...}``."""
    row = _row(release)
    hanna = _dataset("hanna")
    f = hanna.frame[hanna.frame["system"] == row["story"]]
    story_no = f["item_id"].str.split(":").str[0].astype(int)
    budget = (story_no % 5).isin([0, 1])
    f = f[(f["method"] != "human") | budget.to_numpy()]
    pandalm = _dataset("pandalm")
    pair = "_".join(sorted([row["chat"], BASELINE], key=str.lower))
    p = pandalm.frame[pandalm.frame["comparison"] == pair]
    if p.empty:  # pragma: no cover - the table above names existing comparisons
        raise DataError(f"PandaLM has no comparison {pair!r}")
    wmt = _dataset("wmt23_mqm_ende")
    w = wmt.frame[wmt.frame["system"] == row["translation"]]
    return {"story": _rebuild(hanna, f), "chat": _rebuild(pandalm, p), "translation": _rebuild(wmt, w)}


def write_example_data(out: str | Path) -> list[Path]:
    """Write every release's tables as ``out/<release>/<feature>.csv``; returns the files written."""
    out = Path(out)
    written = []
    for release in _RELEASES["release"]:
        folder = out / release
        folder.mkdir(parents=True, exist_ok=True)
        for key, j in load_release(release).items():
            path = folder / f"{key}.csv"
            j.frame.drop(columns=["source_row"], errors="ignore").to_csv(path, index=False)
            written.append(path)
    return written
