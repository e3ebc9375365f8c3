# expect: reject (sorted(key=Result.unwrap))
from returns.result import Result, Success
results: list[Result[float, str]] = [Success(2.0), Success(1.0)]
ordered = sorted(results, key=Result.unwrap)
