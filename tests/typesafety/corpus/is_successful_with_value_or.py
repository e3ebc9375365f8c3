# expect: accept (is_successful guarding value_or)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from returns.pipeline import is_successful
if is_successful(result):
    print(result.value_or(0.0))
