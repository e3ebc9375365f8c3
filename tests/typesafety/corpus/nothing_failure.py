# expect: accept (Nothing.failure())
from returns.maybe import Nothing
print(Nothing.failure())
