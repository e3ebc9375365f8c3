# expect: accept (comparing results)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from returns.result import Success
same = result == Success(-1.0)
