# expect: reject (an alias of unsafe_perform_io)
from returns.io import IO
from returns.unsafe import unsafe_perform_io as run
print(run(IO(1)))
