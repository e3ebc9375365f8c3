# expect: accept (policy combinators)
from cje_fp import TabularPolicy, cached, retrying, validated
policy = retrying(cached(validated(TabularPolicy(name="t", table={}))))
print(policy.compute_log_prob("q", "a").value_or(None))
