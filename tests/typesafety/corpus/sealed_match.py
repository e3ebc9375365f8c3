# expect: accept (sealed match with both arms)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from returns.result import Failure, Success
from cje_fp import sealed
match sealed(result):
    case Success(value):
        print(value)
    case Failure(error):
        print(error.kind)
