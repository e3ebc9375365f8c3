# expect: reject (dict(r) over pairs)
from returns.result import Result, Success
def pairs() -> Result[tuple[str, float], str]:
    return Success(("a", 1.0))
table = dict([*pairs()])
