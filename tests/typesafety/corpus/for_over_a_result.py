# expect: reject (for statement over a Result)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
for value in result:
    print(value)
