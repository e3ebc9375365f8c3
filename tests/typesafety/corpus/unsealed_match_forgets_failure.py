# expect: reject (sealed match without the Failure arm)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from returns.result import Success
from cje_fp import sealed
match sealed(result):
    case Success(value):
        print(value)
