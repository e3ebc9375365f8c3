"""Heavy-tail estimates of importance weights: Hill's tail index and the PSIS Pareto shape ``k``.

Both work on log weights, so no weight ever overflows. The Pareto shape follows
Vehtari, Simpson, Gelman, Yao & Gabry, "Pareto smoothed importance sampling"
(JMLR 2024): a generalized Pareto distribution is fitted to the largest
``M = ceil(min(0.2 n, 3 sqrt n))`` weights (exceedances over the next largest;
ties at the threshold are not in the tail) with the Zhang & Stephens (2009)
profile-posterior estimate and PSIS's weakly informative prior.

>>> import numpy as np
>>> psis_shape(np.zeros(1000))
(None, 0)
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from cje_fp.data import FloatArray
from cje_fp.scoring import log_sum_exp

#: The fewest rows for which the Hill estimator is computed.
HILL_MIN_ROWS: Final = 50

#: Fewer exceedances than this and the Pareto tail is not fitted (as PSIS).
PSIS_MIN_TAIL: Final = 5

#: Log weights closer than this count as tied (rounding noise in log probs is ~1e-15 per token).
_TIE: Final = 1e-8


def hill_tail_index(log_weights: FloatArray) -> tuple[float | None, int]:
    """Hill's estimator of the weights' tail index, computed on log weights; and k.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> alpha, k = hill_tail_index(np.log(rng.pareto(1.5, 100_000) + 1.0))
    >>> round(alpha, 1), k
    (1.5, 5000)
    """
    n = log_weights.size
    if n < HILL_MIN_ROWS:
        return None, 0
    k = min(max(10, int(0.05 * n)), int(0.1 * n))
    top = np.partition(log_weights, n - k - 1)[n - k - 1 :]
    threshold = top.min()
    excess = float(np.sum(top - threshold))
    return (math.inf if excess == 0.0 else k / excess), k


def generalized_pareto_shape(exceedances: FloatArray) -> float:
    """Zhang & Stephens (2009) estimate of a generalized Pareto shape, with PSIS's prior.

    ``exceedances`` are positive and sorted ascending. The scale-shape profile
    posterior is evaluated on ``30 + sqrt(n)`` candidate values of
    ``theta = -k / sigma``; the shape at the posterior mean of ``theta`` is then
    shrunk toward 0.5 with a prior worth 10 observations (as in PSIS).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> draws = np.sort((rng.pareto(1 / 0.6, 20_000) + 1.0) - 1.0)  # shape 0.6
    >>> round(generalized_pareto_shape(draws), 1)
    0.6
    """
    n = exceedances.size
    quartile = exceedances[int(n / 4 + 0.5) - 1]
    largest = exceedances[-1]
    if quartile <= 0.0:
        return math.inf
    candidates = 30 + int(math.sqrt(n))
    theta = 1.0 / largest + (1.0 - np.sqrt(candidates / (np.arange(1, candidates + 1) - 0.5))) / (3.0 * quartile)
    with np.errstate(divide="ignore", invalid="ignore"):
        shapes = np.log1p(-theta[:, None] * exceedances[None, :]).mean(axis=1)
        profile = n * (np.log(-theta / shapes) - shapes - 1.0)
    usable = np.isfinite(profile)
    if not usable.any():
        return math.inf
    theta, profile = theta[usable], profile[usable]
    posterior = np.exp(profile - log_sum_exp(profile))
    theta_hat = float(np.dot(theta, posterior) / posterior.sum())
    shape = float(np.mean(np.log1p(-theta_hat * exceedances)))
    return (n * shape + 10.0 * 0.5) / (n + 10.0)


def psis_shape(log_weights: FloatArray) -> tuple[float | None, int]:
    """PSIS ``k``: the Pareto shape of the largest ``ceil(min(0.2 n, 3 sqrt n))`` weights; and the tail size.

    Ties at the threshold (within 1e-8 in log space, i.e. rounding noise) are
    left out of the tail; with fewer than ``PSIS_MIN_TAIL`` weights above it the
    shape is not estimated (None).

    >>> import numpy as np
    >>> psis_shape(np.zeros(1000))
    (None, 0)
    >>> k, tail = psis_shape(np.random.default_rng(0).normal(0.0, 0.3, 4000))
    >>> k < 0.3, tail
    (True, 190)
    """
    n = log_weights.size
    size = math.ceil(min(0.2 * n, 3.0 * math.sqrt(n)))
    if size < PSIS_MIN_TAIL or n <= size:
        return None, 0
    top = np.sort(np.partition(log_weights, n - size - 1)[n - size - 1 :])
    threshold = top[0]
    tail = top[top > threshold + _TIE]
    if tail.size < PSIS_MIN_TAIL:
        return None, 0
    peak = tail[-1]
    exceedances = np.exp(tail - peak) - math.exp(threshold - peak)
    return generalized_pareto_shape(exceedances), int(tail.size)
