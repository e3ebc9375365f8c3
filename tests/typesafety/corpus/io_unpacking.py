# expect: reject (unpacking an IO)
from returns.io import IO
(value,) = IO(3)
