"""Rater reliability of the discrete annotator models: chance-corrected agreement with the latent truth.

Every discrete model (:class:`~alignlab.annotators.DawidSkene`, ``OneCoin``, ``MACE``, ``GLAD``,
:class:`~alignlab.annotators.OrdinalRaters`, :class:`~alignlab.annotators.BradleyTerry`) reports the
same three rater summaries, computed here from a confusion tensor ``theta[j, k, l] = P(label l |
latent class k)`` and the class prevalence ``pi`` (the ordinal and pairwise models first build that
confusion matrix from their latent scale, :func:`latent_confusion`):

``reliability``
    Cohen's kappa of the rater's label with the latent class, in the population the model describes::

        P_o = sum_kl w_kl pi_k theta_jkl          (agreement credit with the truth)
        P_e = sum_kl w_kl pi_k q_jl,  q_jl = sum_k pi_k theta_jkl
        reliability_j = (P_o - P_e) / (1 - P_e)

    ``q_j`` is the rater's own label distribution, so ``P_e`` is the credit the same labels would earn
    if they were drawn independently of the truth. Hence 0 for a spammer (every row of ``theta`` equal,
    ``P_o = P_e`` exactly), 1 for a perfect rater, **below 0 for a rater who agrees with the truth less
    often than chance** (an inverted or adversarial rater), and, for a rater who is right with
    probability ``a`` and otherwise picks a wrong class at random, strictly increasing in ``a`` (the
    derivative has the sign of ``1 - sum_k pi_k^2 > 0``). The classes are weighted by their prevalence,
    so a rare class (a pairwise ``tie``) counts as often as it occurs. With unordered labels ``w`` is
    the identity (Cohen 1960). On ordered scales ``w_kl = 1 - |x_k - x_l| / (x_max - x_min)`` on the
    numeric levels (linearly weighted kappa, Cohen 1968): a near miss earns partial credit. On the
    pairwise scale the levels are B = 0, tie = 1/2, A = 1, so **a tie given for a clear preference,
    and a preference given for a tie, each earn half credit; the opposite preference none** (the
    scoring of AlpacaEval's human agreement, Dubois et al. 2023). Binary scales: plain kappa.

``informativeness``
    The earlier, unsigned measure: mean total-variation distance between the rows of ``theta`` over
    all pairs of classes (binary: ``|sensitivity + specificity - 1|``). 0 for a spammer, 1 when the
    label determines the class, and also 1 for a rater who always gives the *wrong* label in a fixed
    way: it measures how much the labels could tell after recoding, not whether they are right. It is
    kept as its own column; no workflow ranks or weights by it.

``spammer_prob`` / ``adversarial_prob``
    Over the draws (bootstrap, conditional or posterior) of the same fit: ``P(|reliability| <
    threshold)`` (labels about as good as chance, either way) and ``P(reliability < 0)`` (worse than
    chance). The second has no margin because kappa cannot fall far below 0 with many classes (its
    minimum is ``-P_e / (1 - P_e)``, about -0.3 for a rater who always picks the next of four
    classes); the workflows call a rater adversarial when that probability is high (>= 0.95), and
    for a spammer it sits near 1/2.

The interval of every summary is the quantiles of the summary computed draw by draw, so reliability,
informativeness and the flags come from the same draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SPAMMER_RELIABILITY",
    "agreement_weights",
    "reliability",
    "informativeness",
    "rater_flags",
    "one_coin_accuracy",
    "latent_confusion",
    "latent_summaries",
]

#: ``|reliability|`` below this counts as chance-level labelling (Landis & Koch's "slight" agreement)
SPAMMER_RELIABILITY = 0.2
#: a rater whose probability of being worse than chance reaches this is called adversarial
ADVERSARIAL_PROB = 0.95

#: numeric position of each pairwise label on the preference scale (tie half-way)
PAIRWISE_LEVELS = {"B": 0.0, "tie": 0.5, "A": 1.0}


def agreement_weights(scale: Any) -> np.ndarray:
    """Agreement weights ``w (K, K)`` of a discrete scale: identity, or linear in the ordered levels.

    Examples
    --------
    >>> from alignlab.data import Scale
    >>> agreement_weights(Scale.pairwise()).round(2).tolist()  # labels A, B, tie
    [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.5, 0.5, 1.0]]
    """
    K = scale.n_categories
    if scale.kind == "pairwise" and all(str(label) in PAIRWISE_LEVELS for label in scale.labels):
        levels = np.array([PAIRWISE_LEVELS[str(label)] for label in scale.labels])
    elif scale.kind == "ordinal" and K > 2:
        levels = np.asarray(scale.numeric_levels(), dtype=float)
    else:  # binary and unordered categorical: agreement is all or nothing
        return np.eye(K)
    return linear_weights(levels)


def linear_weights(levels: np.ndarray) -> np.ndarray:
    """``1 - |x_k - x_l| / (max x - min x)`` for numeric levels ``x``."""
    levels = np.asarray(levels, dtype=float)
    span = float(levels.max() - levels.min())
    if not span > 0:
        return np.eye(len(levels))
    return 1.0 - np.abs(levels[:, None] - levels[None, :]) / span


def _kappa_from_joint(joint: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted kappa of joint tables ``(..., K, K)`` (rows: latent class, columns: label)."""
    truth = joint.sum(axis=-1)
    label = joint.sum(axis=-2)
    observed = np.einsum("...kl,kl->...", joint, weights)
    expected = np.einsum("...k,...l,kl->...", truth, label, weights)
    denominator = 1.0 - expected
    # 1 - P_e = 0 only when the truth and the labels sit on one class: no agreement beyond chance is possible
    safe = denominator > 1e-12
    return np.where(safe, (observed - expected) / np.where(safe, denominator, 1.0), 0.0)


def reliability(theta: np.ndarray, pi: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Kappa with the latent class for ``theta (..., J, K, K)`` and ``pi (..., K)``: shape ``(..., J)``.

    Examples
    --------
    >>> import numpy as np
    >>> pi = np.array([0.5, 0.5])
    >>> theta = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.6, 0.4]], [[0.1, 0.9], [0.9, 0.1]]])
    >>> reliability(theta, pi, np.eye(2)).round(3).tolist()  # good, spammer, inverted
    [0.7, 0.0, -0.8]
    """
    joint = np.asarray(pi)[..., None, :, None] * np.asarray(theta)
    return _kappa_from_joint(joint, weights)


def informativeness(theta: np.ndarray) -> np.ndarray:
    """Mean total-variation distance between the rows of ``theta (..., J, K, K)``: shape ``(..., J)``."""
    K = theta.shape[-1]
    iu, ju = np.triu_indices(K, 1)
    return (0.5 * np.abs(theta[..., iu, :] - theta[..., ju, :]).sum(axis=-1)).mean(axis=-1)


def rater_flags(draws: np.ndarray, threshold: float = SPAMMER_RELIABILITY) -> tuple[np.ndarray, np.ndarray]:
    """``spammer_prob, adversarial_prob`` over reliability draws ``(S, J)`` (or a point, ``S = 1``).

    Examples
    --------
    >>> import numpy as np
    >>> spam, adversarial = rater_flags(np.array([[0.05, -0.3, 0.7], [-0.1, -0.25, 0.1]]))
    >>> spam.tolist(), adversarial.tolist()
    ([1.0, 0.0, 0.5], [0.5, 1.0, 0.0])
    """
    draws = np.asarray(draws, dtype=float)
    return (np.abs(draws) < threshold).mean(axis=0), (draws < 0).mean(axis=0)


def one_coin_accuracy(reliability_value: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The accuracy ``a`` of a one-coin rater with this reliability when the classes are equally common.

    Inverts ``reliability`` for ``theta_kk = a``, ``theta_kl = (1 - a)/(K - 1)``, ``pi_k = 1/K``: the
    reliability is ``(a + (1 - a) B - W) / (1 - W)`` with ``W`` the mean weight and ``B`` the mean
    off-diagonal weight (unweighted: ``a = reliability (K - 1)/K + 1/K``). Used to turn an earlier
    reliability (``rater_priors``) into confusion pseudo-counts.

    Examples
    --------
    >>> import numpy as np
    >>> one_coin_accuracy(np.array([0.0, 0.5, 1.0]), np.eye(3)).round(4).tolist()
    [0.3333, 0.6667, 1.0]
    """
    K = weights.shape[0]
    mean_weight = float(weights.mean())
    off = float((weights.sum() - np.trace(weights)) / (K * (K - 1)))
    r = np.asarray(reliability_value, dtype=float)
    return (r * (1.0 - mean_weight) + mean_weight - off) / (1.0 - off)


def _cdf(eta: np.ndarray, link: str) -> np.ndarray:
    from scipy import special

    return special.expit(eta) if link == "logit" else special.ndtr(eta)


def latent_confusion(nodes: np.ndarray, node_weight: np.ndarray, class_thresholds: np.ndarray,
                     thresholds: np.ndarray, severity: np.ndarray, discrimination: np.ndarray,
                     link: str) -> np.ndarray:
    """Joint table ``P(latent class k, label l)`` of latent-scale raters: shape ``(S, J, C, C)``.

    The latent value ``T`` takes ``nodes (Q,)`` with probabilities ``node_weight (Q,)`` (the items'
    population). Its class is the category of ``T`` on ``class_thresholds (S, C - 1)``; the rater's
    label follows ``P(y <= c | T) = F(d_j (lambda_c + s_j - T))`` with ``thresholds (S, C - 1)``,
    ``severity`` and ``discrimination`` of shape ``(S, J)``.
    """
    S, J = severity.shape
    C = thresholds.shape[-1] + 1
    # nodes the population never reaches add nothing (the tails of the quadrature grid)
    keep = node_weight > 1e-12 * node_weight.max()
    nodes, node_weight = nodes[keep], node_weight[keep]
    # (S, C, Q): weight of each node in each latent class
    category = (nodes[None, :, None] > class_thresholds[:, None, :]).sum(axis=-1)
    member = ((category[:, None, :] == np.arange(C)[None, :, None]) * node_weight[None, None, :])[:, None]
    joint = np.empty((S, J, C, C))
    # chunk over raters: the cumulative label probabilities are (S, chunk, Q, C - 1)
    chunk = max(1, int(4_000_000 // max(1, S * len(nodes) * (C - 1))))
    for start in range(0, J, chunk):
        stop = min(J, start + chunk)
        eta = discrimination[:, start:stop, None, None] * (
            thresholds[:, None, None, :] + severity[:, start:stop, None, None] - nodes[None, None, :, None])
        # P(class k, label <= l) by one matrix product over the nodes, then differences over l
        below = np.matmul(member, _cdf(eta, link))  # (S, chunk, C, C - 1)
        total = np.broadcast_to(member.sum(axis=-1)[..., None], below.shape[:-1] + (1,))
        cum = np.concatenate([below, total], axis=-1)
        joint[:, start:stop, :, 0] = cum[..., 0]
        joint[:, start:stop, :, 1:] = np.diff(cum, axis=-1)
    return joint


def latent_summaries(joint: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """``reliability`` and ``informativeness`` (each ``(S, J)``) of joint tables from :func:`latent_confusion`."""
    truth = joint.sum(axis=-1, keepdims=True)
    theta = np.where(truth > 0, joint / np.where(truth > 0, truth, 1.0), 1.0 / joint.shape[-1])
    # classes the population never reaches carry no weight in the informativeness either
    present = truth[..., 0] > 1e-12  # (S, J, C)
    K = joint.shape[-1]
    iu, ju = np.triu_indices(K, 1)
    pair_tv = 0.5 * np.abs(theta[..., iu, :] - theta[..., ju, :]).sum(axis=-1)
    pair_ok = present[..., iu] & present[..., ju]
    info = np.where(pair_ok.any(axis=-1), (pair_tv * pair_ok).sum(axis=-1) / np.maximum(pair_ok.sum(axis=-1), 1), 0.0)
    return {"reliability": _kappa_from_joint(joint, weights), "informativeness": info}


#: columns the discrete models add to ``raters_`` after their accuracy (not in every model's ``raters_``)
EXTRA_RATER_COLUMNS: tuple[str, ...] = ("adversarial_prob", "informativeness", "informativeness_low",
                                        "informativeness_high")


def latent_columns(nodes: np.ndarray, node_weight: np.ndarray, weights: np.ndarray, link: str, level: float,
                   draws: dict[str, np.ndarray], point: dict[str, np.ndarray] | None = None,
                   threshold: float = SPAMMER_RELIABILITY) -> dict[str, np.ndarray]:
    """``raters_`` columns of a latent-scale model (ordinal, pairwise) from its implied confusion matrix.

    ``draws`` (and the optional ``point``) hold ``thresholds (S, C - 1)``, ``severity`` and
    ``discrimination`` ``(S, J)``; the latent class of an item is the category of its latent value on
    the same draw's thresholds (the label a rater of zero severity gives without noise). The point
    value is the summary at ``point`` (EM: the MAP) or the mean over the draws (PyMC); intervals are
    quantiles over the draws and the flags are :func:`rater_flags` of the same draws.
    """
    def summaries(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        th = np.atleast_2d(d["thresholds"])
        joint = latent_confusion(nodes, node_weight, th, th, d["severity"], d["discrimination"], link)
        return latent_summaries(joint, weights)

    sampled = summaries(draws)
    at_point = summaries(point) if point is not None else None
    alpha = (1 - level) / 2
    out: dict[str, np.ndarray] = {}
    for key in ("reliability", "informativeness"):
        out[key] = at_point[key][0] if at_point is not None else sampled[key].mean(axis=0)
        out[f"{key}_low"], out[f"{key}_high"] = np.quantile(sampled[key], [alpha, 1 - alpha], axis=0)
    out["spammer_prob"], out["adversarial_prob"] = rater_flags(sampled["reliability"], threshold)
    return out


def normal_draws(severity: np.ndarray, severity_se: np.ndarray, log_discrimination: np.ndarray,
                 log_discrimination_se: np.ndarray, thresholds: np.ndarray, n: int,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draws of the rater parameters from the EM engine's normal approximation (observed information).

    Severity and log-discrimination are drawn independently per rater with their standard errors;
    the thresholds stay at their estimate.
    """
    J = len(severity)
    sev_se = np.nan_to_num(np.asarray(severity_se, dtype=float), nan=0.0, posinf=0.0)
    ld_se = np.nan_to_num(np.asarray(log_discrimination_se, dtype=float), nan=0.0, posinf=0.0)
    return {"thresholds": np.broadcast_to(np.asarray(thresholds, dtype=float), (n, len(thresholds))),
            "severity": severity + sev_se * rng.standard_normal((n, J)),
            "discrimination": np.exp(log_discrimination + ld_se * rng.standard_normal((n, J)))}
