"""Annotator models: rater bias and reliability, latent item truth, with uncertainty.

Rater reliability is the same number in every discrete model (:mod:`alignlab.annotators._reliability`):
Cohen's kappa of the rater's label with the latent truth (0 = chance, 1 = perfect, below 0 = worse
than chance; pairwise ties count half), with ``informativeness`` (the unsigned row distance of the
confusion matrix), ``spammer_prob`` and ``adversarial_prob`` from the same draws.

Every model follows the estimator contract of :class:`alignlab.annotators._base.AnnotatorModel`:
``Model(engine="em"|"pymc", ..., random_state=...).fit(judgments)`` returns the model, whose
fitted attributes ``raters_``, ``items_`` (tidy DataFrames), ``predict()`` / ``predict_proba()``
and, for the PyMC engine, ``idata_`` hold the results. Each family module adds one import line here.

Rater history (``rater_priors=``)
---------------------------------
Every model with per-rater parameters takes ``rater_priors=``, a DataFrame of what is already known
about some raters (earlier fits, a vendor's qualification test). One convention for all of them:

- a ``rater_id`` column plus the columns of one of the forms below, named like the model's own
  fitted output so that an earlier fit passes back after selecting its columns;
- raters absent from the data are ignored, raters without a row keep the default (group) prior,
  repeated rows of a rater add up (pseudo-count forms);
- any other column is an error that names it (a misspelt column is never ignored silently).

=========================================  ==================================================================
model                                       forms (after ``rater_id``)
=========================================  ==================================================================
``DawidSkene``, ``OneCoin``, ``MACE``,      ``reliability, n`` (a reliability, the kappa with the truth,
``GLAD``                                    worth ``n`` judgments:
                                            ``raters_[["rater_id", "reliability", "n"]]``) or
                                            ``true_label, label, count`` (confusion counts:
                                            ``confusion_[["rater_id", "true_label", "label", "count"]]``)
``OrdinalRaters``                           ``severity, severity_sd`` (normal prior; ``severity_se`` of
                                            an earlier ``raters_`` is accepted as ``severity_sd``)
``ContinuousRaters``                        any of ``bias, bias_sd, noise_sd, noise_df`` (``bias_se``
                                            accepted as ``bias_sd``)
``BradleyTerry``                            ``position_bias, position_bias_sd`` (latent position bias;
                                            ``position_bias_se`` accepted as ``position_bias_sd``)
=========================================  ==================================================================

Examples
--------
>>> import alignlab
>>> from alignlab.annotators import DawidSkene
>>> j = alignlab.datasets.load("bluebird")
>>> last_month = DawidSkene(use_gold=False, ci_method="none").fit(j)
>>> history = last_month.raters_[["rater_id", "reliability", "n"]]
>>> DawidSkene(use_gold=False, ci_method="none", rater_priors=history).fit(j).raters_.shape[0]
39
"""

from alignlab.annotators._base import AnnotatorModel, NotFittedError, ProvenanceError
from alignlab.annotators.categorical import GLAD, MACE, DawidSkene, OneCoin
from alignlab.annotators.compare import ModelComparison, compare_models
from alignlab.annotators.continuous import ContinuousRaters
from alignlab.annotators.ordinal import OrdinalRaters
from alignlab.annotators.pairwise import BradleyTerry

__all__ = ["AnnotatorModel", "NotFittedError", "ProvenanceError"]
__all__ += ["DawidSkene", "GLAD", "MACE", "OneCoin"]
__all__ += ["BradleyTerry", "ContinuousRaters", "OrdinalRaters"]
__all__ += ["ModelComparison", "compare_models"]
