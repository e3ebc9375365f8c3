# expect: accept (references to map/value_or)
from returns.result import Result, Success
results: list[Result[int, str]] = [Success(1)]
doubled = [r.map(lambda v: v * 2) for r in results]
defaults = [r.value_or(0) for r in results]
