# expect: reject (zip over Results)
from returns.result import Result, Success
left: Result[float, str] = Success(1.0)
right: Result[float, str] = Success(2.0)
for a, b in zip(left, right):
    print(a + b)
