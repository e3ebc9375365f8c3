# expect: accept (Result[T, Never].unwrap())
from typing import Never
from returns.result import Result, Success
def always() -> Result[int, Never]:
    return Success(1)
print(always().unwrap())
