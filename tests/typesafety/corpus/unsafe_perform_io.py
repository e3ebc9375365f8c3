# expect: reject (unsafe_perform_io)
from returns.io import IO
from returns.unsafe import unsafe_perform_io
print(unsafe_perform_io(IO(1)) + 1)
