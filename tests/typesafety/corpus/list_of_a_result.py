# expect: reject (list(r))
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
values = list(result)
