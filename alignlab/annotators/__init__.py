"""Annotator models: rater bias and reliability, latent item truth, with uncertainty.

Every model follows the estimator contract of :class:`alignlab.annotators._base.AnnotatorModel`:
``Model(engine="em"|"pymc", ..., random_state=...).fit(judgments)`` returns the model, whose
fitted attributes ``raters_``, ``items_`` (tidy DataFrames), ``predict()`` / ``predict_proba()``
and, for the PyMC engine, ``idata_`` hold the results. Each family module adds one import line here.
"""

from alignlab.annotators._base import AnnotatorModel, NotFittedError, ProvenanceError
from alignlab.annotators.categorical import GLAD, MACE, DawidSkene, OneCoin
from alignlab.annotators.continuous import ContinuousRaters
from alignlab.annotators.ordinal import OrdinalRaters
from alignlab.annotators.pairwise import BradleyTerry

__all__ = ["AnnotatorModel", "NotFittedError", "ProvenanceError"]
__all__ += ["DawidSkene", "GLAD", "MACE", "OneCoin"]
__all__ += ["BradleyTerry", "ContinuousRaters", "OrdinalRaters"]
