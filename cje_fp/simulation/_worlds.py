"""Known-truth worlds for off-policy evaluation: LLM-shaped, exact, with injected scoring failures.

A ``World`` has a pool of contexts, each with a few responses. Every response
has a length in tokens, an oracle value in [0, 1] and a judge score (a noisy
monotone function of the oracle value). Every policy is a ``TabularPolicy``
over the pool; a target's log probability of a response is the base's plus a
**sum of per-token terms** (a tilt toward better or worse responses plus noise),
renormalised per context, so long responses get heavy-tailed weights, as real
sequence-level weights do. Each policy's value is known exactly: the mean over
contexts of ``sum_y pi(y | x) * oracle(y)``.

``simulate`` draws logged rows from the base policy and scores them **through
the real pipeline**: ``MultiTargetSampler`` calling the tabular policies
wrapped by ``inject_faults`` (transient and permanent failures at chosen rates)
and ``retrying``. ``simulate(..., via="arrays")`` gives the same dataset by
direct lookup (the faults' outcomes are derived from the same plan), which is
what many-replication studies use.

>>> world = build_world(WorldConfig(n_contexts=50, seed=1))
>>> sorted(world.truth) == sorted(["base", *world.target_names])
True
>>> sim = simulate(world, n=40, seed=2, faults=FaultRates(transient=0.2, permanent=0.1))
>>> sim.dataset.n_rows, sim.dataset.target_names == world.target_names
(40, True)
>>> same = simulate(world, n=40, seed=2, faults=FaultRates(transient=0.2, permanent=0.1), via="arrays")
>>> bool((same.dataset.base.codes == sim.dataset.base.codes).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Literal

import attrs
import numpy as np

from cje_fp.backends import TabularPolicy
from cje_fp.data import Dataset, FloatArray, IntArray, MaskedColumn, factorize
from cje_fp.errors import RetriesExhausted, Timeout, TokenLimitExceeded
from cje_fp.policy import Fault, FaultPlan, inject_faults, retrying
from cje_fp.scoring import BatchResult, MultiTargetSampler, Sample, log_prob_column

BASE_POLICY: Final = "base"
_RETRY_ATTEMPTS: Final = 3


@attrs.frozen(kw_only=True)
class TargetSpec:
    """How a target policy differs from the base, token by token.

    ``quality_tilt``: per-token log-prob tilt toward better responses (negative:
    toward worse), scaled so a response of average length gets ``tilt * (q - 0.5)``.
    ``token_noise``: standard deviation of independent per-token log-ratio noise.
    ``rare_boost``: log-prob boost of each context's rare, poor response (poor overlap).
    """

    name: str
    quality_tilt: float = 0.0
    token_noise: float = 0.0
    rare_boost: float = 0.0


DEFAULT_TARGETS: Final = (
    TargetSpec(name="clone"),
    TargetSpec(name="better", quality_tilt=2.0, token_noise=0.05),
    TargetSpec(name="worse", quality_tilt=-2.0, token_noise=0.05),
    TargetSpec(name="noisy", token_noise=0.15),
)


@attrs.frozen(kw_only=True)
class WorldConfig:
    """The shape of a world."""

    n_contexts: int = attrs.field(default=2000, validator=attrs.validators.ge(1))
    responses_per_context: int = attrs.field(default=6, validator=attrs.validators.ge(2))
    mean_tokens: float = 20.0
    length_sigma: float = 0.8
    """Spread of the (log-normal) response lengths: long responses carry most of the weight noise."""
    targets: tuple[TargetSpec, ...] = DEFAULT_TARGETS
    judge_noise: float = 0.1
    """Standard deviation of the judge's error around ``oracle ** judge_power``."""
    judge_power: float = 1.0
    judge_levels: int | None = None
    """Round judge scores to this many levels (like a 0-10 rubric); None keeps them continuous."""
    rare_base_log_prob: float = -9.0
    """Base log-odds of each context's rare, poor response."""
    seed: int = 0


@attrs.frozen(kw_only=True, eq=False)
class World:
    """A pool of contexts and responses, the policies over it, and their exact values."""

    config: WorldConfig
    contexts: tuple[str, ...]
    responses: tuple[tuple[str, ...], ...]
    oracle: FloatArray
    """Oracle value of each response, shape (contexts, responses)."""
    judge: FloatArray
    tokens: IntArray
    log_probs: Mapping[str, FloatArray]
    """Normalised log probabilities per policy (``base`` and each target), shape (contexts, responses)."""
    truth: Mapping[str, float]

    @property
    def target_names(self) -> tuple[str, ...]:
        """The target policies, sorted."""
        return tuple(sorted(name for name in self.log_probs if name != BASE_POLICY))

    def policy(self, name: str) -> TabularPolicy:
        """The exact tabular policy ``name`` over the pool."""
        table = self.log_probs[name]
        return TabularPolicy(
            name=name,
            table={
                context: dict(zip(responses, map(float, row), strict=True))
                for context, responses, row in zip(self.contexts, self.responses, table, strict=True)
            },
        )


def _normalise(logits: FloatArray) -> FloatArray:
    peak = logits.max(axis=1, keepdims=True)
    normalised: FloatArray = logits - (peak + np.log(np.exp(logits - peak).sum(axis=1, keepdims=True)))
    return normalised


def build_world(config: WorldConfig = WorldConfig()) -> World:
    """Draw a world from ``config`` (deterministic in ``config.seed``)."""
    rng = np.random.default_rng(config.seed)
    n_contexts, n_responses = config.n_contexts, config.responses_per_context
    oracle = rng.beta(2.0, 2.0, size=(n_contexts, n_responses))
    oracle[:, -1] = rng.uniform(0.0, 0.2, size=n_contexts)
    sigma = config.length_sigma
    lengths = rng.lognormal(math.log(config.mean_tokens) - sigma**2 / 2.0, sigma, size=(n_contexts, n_responses))
    tokens = np.maximum(1, np.round(lengths)).astype(np.int64)
    base_logits = rng.normal(0.0, 1.0, size=(n_contexts, n_responses))
    base_logits[:, -1] = config.rare_base_log_prob
    log_probs: dict[str, FloatArray] = {BASE_POLICY: _normalise(base_logits)}
    per_token = tokens / config.mean_tokens
    rare = np.zeros((n_contexts, n_responses))
    rare[:, -1] = 1.0
    for spec in config.targets:
        noise = rng.normal(0.0, 1.0, size=(n_contexts, n_responses)) * np.sqrt(tokens) * spec.token_noise
        tilt = spec.quality_tilt * per_token * (oracle - 0.5)
        log_probs[spec.name] = _normalise(log_probs[BASE_POLICY] + tilt + noise + spec.rare_boost * rare)
    judge = np.clip(oracle**config.judge_power + rng.normal(0.0, config.judge_noise, oracle.shape), 0.0, 1.0)
    if config.judge_levels is not None:
        judge = np.round(judge * (config.judge_levels - 1)) / (config.judge_levels - 1)
    contexts = tuple(f"context {index}" for index in range(n_contexts))
    responses = tuple(
        tuple(f"response {index}.{j} " + "tok " * int(tokens[index, j]) for j in range(n_responses))
        for index in range(n_contexts)
    )
    truth = {name: float(np.mean(np.sum(np.exp(table) * oracle, axis=1))) for name, table in log_probs.items()}
    return World(
        config=config,
        contexts=contexts,
        responses=responses,
        oracle=oracle,
        judge=judge,
        tokens=tokens,
        log_probs=log_probs,
        truth=truth,
    )


@attrs.frozen(kw_only=True)
class FaultRates:
    """Fractions of (policy, context, response) scoring calls that fail.

    ``transient``: a timeout on the first call only (``retrying`` recovers it).
    ``permanent``: a token-limit error on every call (the cell stays failed).
    """

    transient: float = 0.0
    permanent: float = 0.0

    def plan(self, seed: int) -> FaultPlan:
        """The deterministic fault plan for ``seed``."""
        return FaultPlan(
            faults=(
                Fault(outcome=Timeout(seconds=1.0), rate=self.transient, times=1),
                Fault(outcome=TokenLimitExceeded(), rate=self.permanent, times=None),
            ),
            seed=seed,
        )


@attrs.frozen(kw_only=True, eq=False)
class Simulation:
    """A simulated logged dataset with the exact value of every policy."""

    dataset: Dataset
    truth: Mapping[str, float]
    contexts: IntArray
    responses: IntArray
    failures_by_policy: Mapping[str, Mapping[str, int]]
    scoring: BatchResult | None = None
    """The sampler's batch (retries, accounting, timing) when scored ``via="sampler"``."""


def _draw(world: World, n: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Contexts uniformly (with replacement) and responses from the base policy."""
    contexts = rng.integers(0, len(world.contexts), size=n)
    cumulative = np.cumsum(np.exp(world.log_probs[BASE_POLICY][contexts]), axis=1)
    uniform = rng.uniform(size=(n, 1)) * cumulative[:, -1:]
    responses = np.minimum((uniform > cumulative).sum(axis=1), cumulative.shape[1] - 1)
    return contexts, responses.astype(np.int64)


def _expected_kind(plan: FaultPlan, name: str, context: str, response: str) -> str:
    """The failure kind ``retrying(inject_faults(policy))`` gives a key ('' for success), from the plan."""
    fault = plan.fault_for(name, context, response)
    if fault is None:
        return ""
    outcome = fault.outcome
    if isinstance(outcome, Exception):
        raise TypeError("simulated faults are error values, not exceptions")
    if outcome.transient:
        recovered = fault.times is not None and fault.times < _RETRY_ATTEMPTS
        return "" if recovered else RetriesExhausted(attempts=_RETRY_ATTEMPTS, last=outcome).kind
    return outcome.kind


def _expected_column(
    plan: FaultPlan,
    faults: FaultRates,
    name: str,
    contexts: list[str],
    responses: list[str],
    values: FloatArray,
) -> MaskedColumn:
    """The column the sampler path would give, computed by lookup (no Result per cell)."""
    if faults.transient == 0.0 and faults.permanent == 0.0:
        return MaskedColumn.complete(values)
    kinds = [_expected_kind(plan, name, context, response) for context, response in zip(contexts, responses, strict=True)]
    reasons = ("", *sorted({kind for kind in kinds if kind}))
    codes = np.array([reasons.index(kind) for kind in kinds], dtype=np.uint8)
    return MaskedColumn(values=np.where(codes == 0, values, math.nan), codes=codes, reasons=reasons)


def _no_sleep(seconds: float) -> None:
    """Retries in a simulation take no time."""


def simulate(
    world: World,
    n: int,
    seed: int,
    *,
    oracle_fraction: float = 0.25,
    faults: FaultRates = FaultRates(),
    via: Literal["sampler", "arrays"] = "sampler",
) -> Simulation:
    """Draw ``n`` logged rows from the base policy, score them, label a random ``oracle_fraction``."""
    rng = np.random.default_rng(seed)
    contexts, responses = _draw(world, n, rng)
    labelled = rng.uniform(size=n) < oracle_fraction
    plan = faults.plan(seed)
    names = (BASE_POLICY, *world.target_names)
    context_text = [world.contexts[c] for c in contexts]
    response_text = [world.responses[c][r] for c, r in zip(contexts, responses, strict=True)]
    if via == "sampler":
        policies = [
            retrying(
                inject_faults(world.policy(name), plan), max_attempts=_RETRY_ATTEMPTS, deadline=60.0, sleep=_no_sleep
            )
            for name in names
        ]
        sampler = MultiTargetSampler(policies=policies, base_policy_name=BASE_POLICY, max_concurrency=1)
        samples = [
            Sample(sample_id=f"row {row}", context=context, response=response)
            for row, (context, response) in enumerate(zip(context_text, response_text, strict=True))
        ]
        scored = sampler.process_batch(samples)
        batch: BatchResult | None = scored
        columns = {name: log_prob_column([result.log_probs[name] for result in scored.results]) for name in names}
    else:
        batch = None
        columns = {
            name: _expected_column(plan, faults, name, context_text, response_text, world.log_probs[name][contexts, responses])
            for name in names
        }
    prompt_ids = tuple(f"context-{c}" for c in contexts)
    clusters, hashes = factorize(prompt_ids)
    oracle = world.oracle[contexts, responses]
    judge = world.judge[contexts, responses]
    dataset = Dataset(
        source=f"simulation(seed={seed})",
        prompt_ids=prompt_ids,
        lines=np.arange(1, n + 1, dtype=np.int64),
        base=columns[BASE_POLICY],
        targets={name: columns[name] for name in world.target_names},
        judge=MaskedColumn.complete(judge),
        oracle=MaskedColumn(
            values=np.where(labelled, oracle, math.nan),
            codes=(~labelled).astype(np.uint8),
            reasons=("", "not_labelled"),
        ),
        response_length=np.array([len(text) for text in response_text], dtype=np.int64),
        clusters=clusters,
        cluster_hashes=hashes,
    )
    return Simulation(
        dataset=dataset,
        truth=dict(world.truth),
        contexts=contexts,
        responses=responses,
        failures_by_policy={name: column.excluded_by_reason() for name, column in columns.items()},
        scoring=batch,
    )


DEMO_TARGETS: Final = (
    *DEFAULT_TARGETS,
    TargetSpec(name="unhelpful", rare_boost=12.0),
)


def demo(seed: int = 0, n: int = 2000) -> Simulation:
    """A ready-made scenario for demos: five targets (one with poor overlap), a noisy 11-level
    judge, a 15% oracle slice, 5% transient and 2% permanent scoring failures, exact truth.

    >>> simulation = demo(seed=1, n=300)
    >>> len(simulation.dataset.target_names), round(simulation.truth["base"], 3) > 0
    (5, True)
    """
    world = build_world(
        WorldConfig(n_contexts=max(500, n), targets=DEMO_TARGETS, judge_noise=0.1, judge_levels=11, seed=seed)
    )
    return simulate(
        world, n, seed + 1, oracle_fraction=0.15, faults=FaultRates(transient=0.05, permanent=0.02)
    )
