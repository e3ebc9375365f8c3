# expect: reject (getattr with a Final name)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from typing import Final
METHOD: Final = "unwrap"
print(getattr(result, METHOD)())
