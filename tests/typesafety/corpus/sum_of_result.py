# expect: reject (sum(r))
from returns.result import Result, Success
def get() -> Result[int, str]:
    return Success(1)
total = sum(get())
