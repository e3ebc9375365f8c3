"""Tabular known-truth worlds as plain arrays, and logged datasets drawn from them by lookup.

A ``TableWorld`` holds, for a population of contexts with a few responses
each, the oracle value, judge score and token count of every response and
every policy's normalised log probabilities. Drawing logged rows is array
indexing, so thousands of replications take seconds. Contexts may belong to
**families** (near-duplicate rephrasings of one prompt): ``draw_rows`` can
sample whole families, the way a team's eval set repeats a prompt in ten
wordings, and then the independent unit is the family, not the prompt id.

>>> import numpy as np
>>> world = tilted_world(n_contexts=200, tilts={"up": 2.0}, seed=0)
>>> rows = draw_rows(world, n=50, seed=1)
>>> data = rows_dataset(world, rows, labelled=np.ones(50, dtype=bool))
>>> data.n_rows, data.target_names, round(world.truth["up"] - world.truth["base"], 3) > 0
(50, ('up',), True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import attrs
import numpy as np

from cje_fp.data import (
    BoolArray,
    Dataset,
    FloatArray,
    IntArray,
    MaskedColumn,
    factorize,
)
from cje_fp.simulation._worlds import World

BASE: Final = "base"


@attrs.frozen(kw_only=True, eq=False)
class TableWorld:
    """Contexts x responses: oracle, judge, tokens, log probs per policy, exact values, families."""

    oracle: FloatArray
    judge: FloatArray
    tokens: IntArray
    log_probs: Mapping[str, FloatArray]
    """Normalised log probabilities per policy (``base`` and each target), shape (contexts, responses)."""
    families: IntArray
    """The family of each context (each context its own family when there are no rephrasings)."""

    @property
    def truth(self) -> dict[str, float]:
        """Each policy's exact value: the mean over contexts of ``sum_y pi(y | x) oracle(y)``."""
        return {name: float(np.mean(np.sum(np.exp(table) * self.oracle, axis=1))) for name, table in self.log_probs.items()}

    @property
    def target_names(self) -> tuple[str, ...]:
        """The target policies, sorted."""
        return tuple(sorted(name for name in self.log_probs if name != BASE))

    @property
    def n_contexts(self) -> int:
        """Contexts in the population."""
        return int(self.oracle.shape[0])

    def ess_fraction(self, target: str) -> float:
        """Population ESS fraction ``1 / E_base[w^2]`` of ``target``'s weights."""
        ratio = np.exp(2.0 * self.log_probs[target] - self.log_probs[BASE])
        return float(1.0 / np.mean(np.sum(ratio, axis=1)))


@attrs.frozen(kw_only=True, eq=False)
class Rows:
    """Logged rows: which context and which (base-drawn) response each row is."""

    contexts: IntArray
    responses: IntArray


def table_of(world: World) -> TableWorld:
    """A ``build_world`` world as a table (no families)."""
    return TableWorld(
        oracle=world.oracle,
        judge=world.judge,
        tokens=world.tokens,
        log_probs=dict(world.log_probs),
        families=np.arange(world.oracle.shape[0], dtype=np.int64),
    )


def normalise(logits: FloatArray) -> FloatArray:
    """Log-softmax over the last axis."""
    peak = logits.max(axis=-1, keepdims=True)
    out: FloatArray = logits - (peak + np.log(np.exp(logits - peak).sum(axis=-1, keepdims=True)))
    return out


def judge_of(oracle: FloatArray, noise: float, levels: int | None, rng: np.random.Generator) -> FloatArray:
    """A noisy monotone judge in [0, 1], optionally rounded to ``levels`` rubric levels."""
    judge = np.clip(oracle + rng.normal(0.0, noise, oracle.shape), 0.0, 1.0)
    if levels is not None:
        judge = np.round(judge * (levels - 1)) / (levels - 1)
    return judge


def tilted_world(
    *,
    n_contexts: int,
    tilts: Mapping[str, float],
    responses: int = 6,
    base_spread: float = 1.0,
    judge_noise: float = 0.1,
    judge_levels: int | None = 11,
    seed: int,
) -> TableWorld:
    """Targets that tilt the base toward better (tilt > 0) or worse responses by ``tilt * (oracle - 0.5)``.

    The weights ``pi'/pi0`` are bounded (a finite response set, no rare
    response), so the tilt alone sets the overlap: larger tilts, smaller ESS.
    """
    rng = np.random.default_rng(seed)
    shape = (n_contexts, responses)
    oracle = rng.beta(2.0, 2.0, size=shape)
    tokens = np.maximum(1, np.round(rng.lognormal(math.log(20.0), 0.5, size=shape))).astype(np.int64)
    base = normalise(rng.normal(0.0, base_spread, size=shape))
    log_probs = {BASE: base, **{name: normalise(base + tilt * (oracle - 0.5)) for name, tilt in tilts.items()}}
    return TableWorld(
        oracle=oracle,
        judge=judge_of(oracle, judge_noise, judge_levels, rng),
        tokens=tokens,
        log_probs=log_probs,
        families=np.arange(n_contexts, dtype=np.int64),
    )


def family_world(
    *,
    n_families: int,
    rephrasings: int = 10,
    tilts: Mapping[str, float],
    responses: int = 6,
    rephrasing_jitter: float = 0.3,
    response_spread: float = 0.08,
    judge_noise: float = 0.1,
    judge_levels: int | None = 11,
    seed: int,
) -> TableWorld:
    """Families of near-duplicate prompts: rephrasings share their responses' quality.

    Each family draws a quality level; its responses' oracle values scatter
    ``response_spread`` around it and are **shared** by the family's
    ``rephrasings`` contexts (the same question, reworded). The base policy's
    log probs differ between rephrasings by ``rephrasing_jitter``; the judge's
    noise is drawn per context. Rows from one family are therefore strongly
    correlated although their prompt ids differ.
    """
    rng = np.random.default_rng(seed)
    family_shape = (n_families, responses)
    level = rng.beta(2.0, 2.0, size=(n_families, 1))
    family_oracle = np.clip(level + rng.normal(0.0, response_spread, family_shape), 0.0, 1.0)
    family_logits = rng.normal(0.0, 1.0, family_shape)
    family_tokens = np.maximum(1, np.round(rng.lognormal(math.log(20.0), 0.5, size=family_shape))).astype(np.int64)
    families = np.repeat(np.arange(n_families, dtype=np.int64), rephrasings)
    oracle = family_oracle[families]
    base = normalise(family_logits[families] + rng.normal(0.0, rephrasing_jitter, oracle.shape))
    log_probs = {BASE: base, **{name: normalise(base + tilt * (oracle - 0.5)) for name, tilt in tilts.items()}}
    return TableWorld(
        oracle=oracle,
        judge=judge_of(oracle, judge_noise, judge_levels, rng),
        tokens=family_tokens[families],
        log_probs=log_probs,
        families=families,
    )


def _responses(world: TableWorld, contexts: IntArray, rng: np.random.Generator) -> IntArray:
    cumulative = np.cumsum(np.exp(world.log_probs[BASE][contexts]), axis=1)
    uniform = rng.uniform(size=(contexts.size, 1)) * cumulative[:, -1:]
    drawn: IntArray = np.minimum((uniform > cumulative).sum(axis=1), cumulative.shape[1] - 1).astype(np.int64)
    return drawn


def draw_rows(world: TableWorld, n: int, seed: int) -> Rows:
    """``n`` contexts uniformly with replacement, each with a response drawn from the base policy."""
    rng = np.random.default_rng(seed)
    contexts = rng.integers(0, world.n_contexts, size=n).astype(np.int64)
    return Rows(contexts=contexts, responses=_responses(world, contexts, rng))


def draw_families(world: TableWorld, n_families: int, seed: int) -> Rows:
    """``n_families`` families uniformly with replacement, every context of each, base-drawn responses.

    (The population's families have equal sizes, so the mean over drawn rows
    estimates the mean over contexts without reweighting.)
    """
    rng = np.random.default_rng(seed)
    n_total = int(world.families.max()) + 1
    chosen = rng.integers(0, n_total, size=n_families)
    members = np.flatnonzero(np.isin(world.families, np.unique(chosen)))
    # repeat members of families drawn more than once
    counts = np.bincount(chosen, minlength=n_total)[world.families[members]]
    contexts = np.repeat(members, counts).astype(np.int64)
    return Rows(contexts=contexts, responses=_responses(world, contexts, rng))


def rows_dataset(
    world: TableWorld, rows: Rows, labelled: BoolArray, *, prompt_ids: tuple[str, ...] | None = None
) -> Dataset:
    """The logged dataset of ``rows``: log probs by lookup, judge on every row, oracle where ``labelled``.

    Prompt ids are ``context-<index>`` unless given (a context drawn twice
    repeats its id; use ``unique_ids`` for one id per row).
    """
    contexts, responses = rows.contexts, rows.responses
    ids = tuple(f"context-{c}" for c in contexts.tolist()) if prompt_ids is None else prompt_ids
    clusters, hashes = factorize(ids)
    oracle = world.oracle[contexts, responses]
    n = contexts.size
    return Dataset(
        source="table world",
        prompt_ids=ids,
        lines=np.arange(1, n + 1, dtype=np.int64),
        base=MaskedColumn.complete(world.log_probs[BASE][contexts, responses]),
        targets={
            name: MaskedColumn.complete(world.log_probs[name][contexts, responses]) for name in world.target_names
        },
        judge=MaskedColumn.complete(world.judge[contexts, responses]),
        oracle=MaskedColumn(
            values=np.where(labelled, oracle, math.nan),
            codes=(~labelled).astype(np.uint8),
            reasons=("", "not_labelled"),
        ),
        response_length=4 * world.tokens[contexts, responses],
        clusters=clusters,
        cluster_hashes=hashes,
    )


def unique_ids(n: int) -> tuple[str, ...]:
    """One distinct prompt id per row (``row-<i>``)."""
    return tuple(f"row-{i}" for i in range(n))
