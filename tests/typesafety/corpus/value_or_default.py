# expect: accept (value_or as an explicit decision)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
shown = result.value_or(None)
