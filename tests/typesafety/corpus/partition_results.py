# expect: accept (returns.methods.partition)
from returns.methods import partition
from returns.result import Result, Success
results: list[Result[float, str]] = [Success(1.0)]
values, errors = partition(results)
