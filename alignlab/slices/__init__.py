"""Segment slices: where and why evaluation methods diverge, with false discoveries controlled.

- :func:`divergence` builds a per-item (or per-judgment) target from a judgments table: judge minus
  human consensus (signed or absolute), disagreement indicators, rater error against consensus or gold.
- :func:`find_slices` searches every conjunction of segment predicates up to a depth, corrects the
  p-values over every slice tested (BH, BY or Holm), prunes redundant slices and explains the rest.
- :func:`enumerate_slices` is the lower-level engine (exact lattice sums and Welch tests, no
  correction), reusable for other slice questions.
"""

from alignlab.slices._divergence import divergence, suggest_pair
from alignlab.slices._encode import SegmentEncoding, encode_segments
from alignlab.slices._find import SLICE_COLUMNS, SliceResult, enumerate_slices, find_slices

__all__ = [
    "SLICE_COLUMNS",
    "SegmentEncoding",
    "SliceResult",
    "divergence",
    "encode_segments",
    "enumerate_slices",
    "find_slices",
    "suggest_pair",
]
