# expect: accept (iterating a Success)
from returns.result import Success
for value in Success(2):
    print(value)
print(list(Success(3)))
