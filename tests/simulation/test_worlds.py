"""The known-truth world: exact values, the real scoring pipeline, injected failures."""

from __future__ import annotations

import numpy as np

from cje_fp.data._dataset import MaskedColumn
from cje_fp.simulation._worlds import BASE_POLICY, FaultRates, WorldConfig, build_world, simulate


def labels(column: MaskedColumn) -> list[str]:
    return [column.reasons[code] for code in column.codes]


def test_sampler_pipeline_and_direct_lookup_agree_cell_for_cell() -> None:
    world = build_world(WorldConfig(n_contexts=80, seed=4))
    faults = FaultRates(transient=0.3, permanent=0.1)
    through_sampler = simulate(world, n=150, seed=9, faults=faults)
    by_lookup = simulate(world, n=150, seed=9, faults=faults, via="arrays")
    pairs = [(through_sampler.dataset.base, by_lookup.dataset.base)] + [
        (through_sampler.dataset.targets[name], by_lookup.dataset.targets[name]) for name in world.target_names
    ]
    for first, second in pairs:
        assert labels(first) == labels(second)
        np.testing.assert_array_equal(first.values[first.present], second.values[second.present])
    kinds = {kind for column, _ in pairs for kind in labels(column)}
    assert kinds == {"", "token_limit_exceeded"}  # transient timeouts were retried away
    failed = sum(int((~column.present).sum()) for column, _ in pairs)
    assert 0.05 * 150 * len(pairs) < failed < 0.15 * 150 * len(pairs)


def test_truth_is_the_exact_expected_oracle_value() -> None:
    world = build_world(WorldConfig(n_contexts=30, seed=5))
    rng = np.random.default_rng(0)
    for name in (BASE_POLICY, "better"):
        policy = world.policy(name)
        draws = []
        for index, context in enumerate(world.contexts):
            responses = policy.responses(context)
            for _ in range(400):
                draws.append(world.oracle[index, responses.index(policy.sample(context, rng))])
        assert abs(float(np.mean(draws)) - world.truth[name]) < 4 * np.std(draws) / np.sqrt(len(draws))


def test_longer_responses_get_heavier_weights() -> None:
    world = build_world(WorldConfig(n_contexts=400, seed=6))
    log_ratio = world.log_probs["noisy"] - world.log_probs[BASE_POLICY]
    long = world.tokens > np.quantile(world.tokens, 0.75)
    short = world.tokens < np.quantile(world.tokens, 0.25)
    assert log_ratio[long].std() > 1.5 * log_ratio[short].std()
