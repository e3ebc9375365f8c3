# expect: accept (nested match over the error algebra)
from cje_fp import TabularPolicy
policy = TabularPolicy(name="t", table={"q": {"a": -1.0}})
result = policy.compute_log_prob("q", "a")
from typing import assert_never
from returns.result import Failure, Success
from cje_fp import sealed
from cje_fp.errors import RateLimited, Timeout
match sealed(result):
    case Success(value):
        print(value)
    case Failure(RateLimited() | Timeout() as transient):
        print("retry later", transient.kind)
    case Failure(other):
        print(other.kind)
