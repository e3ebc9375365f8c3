# expect: accept (iterating a list of Results)
from returns.result import Result, Success
results: list[Result[float, str]] = [Success(1.0)]
for item in results:
    print(item.value_or(0.0))
copied = list(results)
flat = [*results]
