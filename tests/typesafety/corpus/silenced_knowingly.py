# expect: accept (a reviewed unwrap silenced with its code)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
value = result.unwrap()  # type: ignore[unsafe-unwrap]  # reviewed: test fixture
