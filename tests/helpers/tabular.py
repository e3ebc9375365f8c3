"""Small exact tabular policies, fixed samples and the fault strategy shared by the sampler tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from cje_fp.backends import TabularPolicy
from cje_fp.errors import BadRequest, LogProbError, RateLimited, ServerError, Timeout, Unauthorized
from cje_fp.scoring import Sample

CONTEXTS = [f"prompt {index}" for index in range(6)]
RESPONSES = ["yes", "no", "maybe"]


def _table(seed: int) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    table = {}
    for context in CONTEXTS:
        probabilities = rng.dirichlet(np.ones(len(RESPONSES)))
        table[context] = {r: float(np.log(p)) for r, p in zip(RESPONSES, probabilities, strict=True)}
    return table


TABLES = {name: _table(seed) for seed, name in enumerate(["base", "t1", "t2", "t3"])}
SAMPLES = [Sample(sample_id=f"s{i}", context=CONTEXTS[i % 6], response=RESPONSES[i // 6]) for i in range(12)]


def tabular(name: str) -> TabularPolicy:
    return TabularPolicy(name=name, table=TABLES[name])



FAULTS: dict[str, LogProbError | Exception] = {
    "timeout": Timeout(),
    "rate_limited": RateLimited(retry_after=0.5),
    "server_error": ServerError(status=503),
    "bad_request": BadRequest(),
    "unauthorized": Unauthorized(),
    "crash": RuntimeError("backend bug"),
}

fault_specs = st.lists(
    st.tuples(
        st.sampled_from(sorted(FAULTS)),
        st.floats(min_value=0.0, max_value=0.3),
        st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    ),
    max_size=3,
)


