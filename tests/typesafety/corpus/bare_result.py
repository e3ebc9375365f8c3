# expect: reject (Result(...))
from returns.result import Result
value: Result[int, str] = Result(1)
