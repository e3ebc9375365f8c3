# expect: reject (IO._inner_value)
from returns.io import IO
print(IO(3)._inner_value)
