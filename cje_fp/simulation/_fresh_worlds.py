"""Known-truth worlds with fresh draws and probe slices, vectorised for many-replication studies.

A response to a prompt has a latent quality ``q ~ N(mu_x + shift, 1)`` (prompt
effect ``mu_x ~ N(0, prompt_sd^2)``), a style feature ``z ~ Bernoulli(share)``
and an irrelevant component ``e ~ N(tilt, 1)`` that stands for the token-level
variation that makes sequence-level importance weights heavy (a target with
``noise_tilt`` 3 has a sample ESS fraction below 1%). The base policy
has shift 0, tilt 0 and ``base_style_share``. The exact log weight of a base
response under a target is

    log w = shift (q - mu_x) - shift^2/2 + tilt e - tilt^2/2 + log(P'(z) / P0(z)).

The judge sees the quality (plus ``judge_noise``, 0 by default): ``S0 = round(Phi(judge_slope q))`` on
``judge_levels`` levels, and in a style-bias world over-rates the feature:
``S = clip(S0 + style_bias z)``. The oracle ignores the style:
``Y ~ Beta(k m(S0), k (1 - m(S0)))`` with ``m(s) = s^oracle_power`` (kept in
[0.01, 0.99]). Without style bias ``E[Y | S] = m(S)`` under every policy, so
calibration transports exactly; with it, a target that prefers the feature
gets judge scores its oracle labels do not support. Each target's value,
``E[m(S0)]`` with ``q ~ N(shift, 1 + prompt_sd^2)``, is computed by quadrature.

>>> world = FreshWorld(name="tiny", targets=(FreshTarget(name="t", quality_shift=0.5),))
>>> 0.5 < world.truth("t") < world.truth("t") + 1
True
>>> sample = draw_replication(world, seed=1)
>>> sample.logged_judge.shape, sample.draw_judge["t"].shape, sample.probe_oracle["t"].shape
((1000,), (1000,), (50,))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import attrs
import numpy as np
from scipy.stats import norm

from cje_fp.data import BoolArray, FloatArray, IntArray, hash_ids
from cje_fp.data._folds import cluster_folds

#: Quadrature points for the exact values.
_GRID: Final = 40001


@attrs.frozen(kw_only=True)
class FreshTarget:
    """How a target differs from the base policy."""

    name: str
    quality_shift: float = 0.0
    noise_tilt: float = 0.0
    style_share: float | None = None
    """P(style feature) under the target; None: the base policy's."""


@attrs.frozen(kw_only=True)
class FreshWorld:
    """The shape of a world and of one replication's data."""

    name: str
    targets: tuple[FreshTarget, ...]
    n_prompts: int = 1000
    draws_per_prompt: int = 1
    oracle_fraction: float = 0.5
    probe_size: int = 50
    prompt_sd: float = 0.7
    base_style_share: float = 0.15
    style_bias: float = 0.0
    judge_slope: float = 0.8
    judge_levels: int = 21
    oracle_power: float = 1.3
    oracle_concentration: float = 8.0
    judge_noise: float = 0.0
    """Noise the judge adds to the quality it sees (the oracle does not): with noise, ``E[Y | S]``
    depends on each policy's quality distribution, so calibration transports only approximately."""

    def target(self, name: str) -> FreshTarget:
        """The target called ``name``."""
        return next(target for target in self.targets if target.name == name)

    def mean_oracle(self, s0: FloatArray) -> FloatArray:
        """``E[Y | S0]``."""
        mean: FloatArray = np.clip(s0, 0.0, 1.0) ** self.oracle_power
        return np.clip(mean, 0.01, 0.99)

    def judge_clean(self, quality: FloatArray) -> FloatArray:
        """The judge score before any style bias: ``Phi(slope q)`` rounded to the levels."""
        steps = self.judge_levels - 1
        rounded: FloatArray = np.round(norm.cdf(self.judge_slope * quality) * steps) / steps
        return rounded

    def truth(self, name: str) -> float:
        """The target's exact value (``base`` for the base policy)."""
        shift = 0.0 if name == "base" else self.target(name).quality_shift
        sd = math.sqrt(1.0 + self.prompt_sd**2)
        grid = np.linspace(shift - 9 * sd, shift + 9 * sd, _GRID)
        density = norm.pdf(grid, shift, sd)
        values = self.mean_oracle(self.judge_clean(grid))
        # trapezoid rule on an even grid (np.trapezoid needs numpy 2): the step cancels in the ratio
        weights = np.ones_like(grid)
        weights[[0, -1]] = 0.5
        return float(np.dot(weights, values * density) / np.dot(weights, density))


@attrs.frozen(kw_only=True, eq=False)
class Replication:
    """One replication's data: logged base rows, fresh draws and probe rows per target."""

    n_prompts: int
    cluster_folds: IntArray
    logged_judge: FloatArray
    logged_oracle: FloatArray
    logged_style: FloatArray
    """The style feature (0/1) of each logged response: observable, usable as a calibration covariate."""
    labelled: BoolArray
    log_weights: Mapping[str, FloatArray]
    """Per target, the exact log weight of each logged row."""
    draw_clusters: IntArray
    draw_judge: Mapping[str, FloatArray]
    """Per policy (targets and ``base``), the judge score of each fresh draw."""
    draw_oracle: Mapping[str, FloatArray]
    draw_style: Mapping[str, FloatArray]
    probe_style: Mapping[str, FloatArray]
    probe_clusters: Mapping[str, IntArray]
    probe_judge: Mapping[str, FloatArray]
    probe_oracle: Mapping[str, FloatArray]


@attrs.frozen(kw_only=True, eq=False)
class _Responses:
    quality: FloatArray
    style: BoolArray
    irrelevant: FloatArray
    judge: FloatArray
    oracle: FloatArray


def _respond(
    world: FreshWorld,
    rng: np.random.Generator,
    prompt_effect: FloatArray,
    shift: float,
    tilt: float,
    style_share: float,
) -> _Responses:
    n = prompt_effect.size
    quality = prompt_effect + shift + rng.standard_normal(n)
    style = rng.uniform(size=n) < style_share
    irrelevant = tilt + rng.standard_normal(n)
    clean = world.judge_clean(quality)
    seen = clean if world.judge_noise == 0.0 else world.judge_clean(quality + world.judge_noise * rng.standard_normal(n))
    steps = world.judge_levels - 1
    judge = np.clip(np.round((seen + world.style_bias * style) * steps) / steps, 0.0, 1.0)
    mean = world.mean_oracle(clean)
    k = world.oracle_concentration
    oracle = rng.beta(k * mean, k * (1.0 - mean))
    return _Responses(quality=quality, style=style, irrelevant=irrelevant, judge=judge, oracle=oracle)


def _style_share(world: FreshWorld, target: FreshTarget) -> float:
    return world.base_style_share if target.style_share is None else target.style_share


def _log_weight(world: FreshWorld, target: FreshTarget, base: _Responses, prompt_effect: FloatArray) -> FloatArray:
    shift, tilt = target.quality_shift, target.noise_tilt
    share, base_share = _style_share(world, target), world.base_style_share
    style_term = np.where(base.style, math.log(share / base_share), math.log((1 - share) / (1 - base_share)))
    log_weight: FloatArray = (
        shift * (base.quality - prompt_effect) - shift**2 / 2 + tilt * base.irrelevant - tilt**2 / 2 + style_term
    )
    return log_weight


def world_folds(world: FreshWorld, n_folds: int = 5, seed: int = 42) -> IntArray:
    """The prompt folds of a world's prompts (``p0``, ``p1``, ...), by the library's hash."""
    return cluster_folds(hash_ids([f"p{index}" for index in range(world.n_prompts)]), n_folds, seed)


def draw_replication(world: FreshWorld, seed: int, folds: IntArray | None = None) -> Replication:
    """Draw logged rows, fresh draws (K per prompt) and probe rows for every target."""
    rng = np.random.default_rng(seed)
    n, k = world.n_prompts, world.draws_per_prompt
    prompt_effect = rng.normal(0.0, world.prompt_sd, size=n)
    base = _respond(world, rng, prompt_effect, 0.0, 0.0, world.base_style_share)
    labelled = rng.uniform(size=n) < world.oracle_fraction
    draw_clusters = np.repeat(np.arange(n, dtype=np.int64), k)
    draw_effect = prompt_effect[draw_clusters]
    draw_judge: dict[str, FloatArray] = {}
    draw_oracle: dict[str, FloatArray] = {}
    draw_style: dict[str, FloatArray] = {}
    probe_style: dict[str, FloatArray] = {}
    probe_clusters: dict[str, IntArray] = {}
    probe_judge: dict[str, FloatArray] = {}
    probe_oracle: dict[str, FloatArray] = {}
    policies = [("base", 0.0, 0.0, world.base_style_share)] + [
        (t.name, t.quality_shift, t.noise_tilt, _style_share(world, t)) for t in world.targets
    ]
    for name, shift, tilt, share in policies:
        drawn = _respond(world, rng, draw_effect, shift, tilt, share)
        draw_judge[name], draw_oracle[name] = drawn.judge, drawn.oracle
        draw_style[name] = drawn.style.astype(np.float64)
        chosen = rng.choice(n, size=min(world.probe_size, n), replace=False)
        rows = chosen * k  # the first draw of each chosen prompt
        probe_clusters[name] = chosen.astype(np.int64)
        probe_judge[name], probe_oracle[name] = drawn.judge[rows], drawn.oracle[rows]
        probe_style[name] = draw_style[name][rows]
    return Replication(
        n_prompts=n,
        cluster_folds=world_folds(world) if folds is None else folds,
        logged_judge=base.judge,
        logged_oracle=base.oracle,
        logged_style=base.style.astype(np.float64),
        labelled=labelled,
        log_weights={t.name: _log_weight(world, t, base, prompt_effect) for t in world.targets},
        draw_clusters=draw_clusters,
        draw_judge=draw_judge,
        draw_oracle=draw_oracle,
        draw_style=draw_style,
        probe_style=probe_style,
        probe_clusters=probe_clusters,
        probe_judge=probe_judge,
        probe_oracle=probe_oracle,
    )


def ess_fraction(log_weights: FloatArray) -> float:
    """``(sum w)^2 / (n sum w^2)`` from log weights."""
    scaled = np.exp(log_weights - log_weights.max())
    return float(scaled.sum() ** 2 / np.dot(scaled, scaled) / scaled.size)


NEAR: Final = FreshWorld(
    name="near",
    draws_per_prompt=2,
    targets=(
        FreshTarget(name="clone"),
        FreshTarget(name="better", quality_shift=0.4, noise_tilt=0.3),
        FreshTarget(name="worse", quality_shift=-0.4, noise_tilt=0.3),
    ),
)
"""Targets close to the base (ESS fraction 50-100%), two draws per prompt."""

FAR: Final = FreshWorld(
    name="far",
    targets=(
        FreshTarget(name="far_better", quality_shift=0.8, noise_tilt=3.8),
        FreshTarget(name="far_worse", quality_shift=-1.5, noise_tilt=3.6),
        FreshTarget(name="near_better", quality_shift=0.3, noise_tilt=0.3),
    ),
)
"""Two targets far from the base (ESS fraction below 1%) and one close, one draw per prompt."""

STYLE: Final = FreshWorld(
    name="style",
    style_bias=0.3,
    base_style_share=0.05,
    targets=(
        FreshTarget(name="stylish", quality_shift=0.2, noise_tilt=0.3, style_share=0.85),
        FreshTarget(name="plain_better", quality_shift=0.4, noise_tilt=0.3),
        FreshTarget(name="clone"),
    ),
)
"""The judge over-rates a style feature by 0.3; ``stylish`` prefers it (calibration does not transport)."""

NOISY: Final = FreshWorld(
    name="noisy",
    judge_noise=0.6,
    targets=(
        FreshTarget(name="better", quality_shift=0.4, noise_tilt=0.3),
        FreshTarget(name="worse", quality_shift=-0.4, noise_tilt=0.3),
        FreshTarget(name="far_better", quality_shift=0.8, noise_tilt=3.8),
    ),
)
"""A noisy judge (the oracle sees the quality, the judge a noisy version): calibration learned on the
base policy misprices shifted targets by a little; informational (not in the acceptance checks)."""

WORLDS: Final = (NEAR, FAR, STYLE)
"""The worlds of the acceptance study."""
