# expect: reject (max(key=Result.unwrap))
from returns.result import Result, Success
results: list[Result[float, str]] = [Success(2.0)]
best = max(results, key=Result.unwrap)
