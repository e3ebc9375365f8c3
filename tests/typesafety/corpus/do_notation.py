# expect: reject (do-notation iterates)
from returns.result import Result, Success
def get(value: int) -> Result[int, str]:
    return Success(value)
total = Result.do(a + b for a in get(1) for b in get(2))
