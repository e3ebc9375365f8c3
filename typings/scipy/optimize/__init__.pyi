# Minimal stub for scipy.optimize: only isotonic_regression, as cje_fp.calibration uses it.
import numpy as np
import numpy.typing as npt

class OptimizeResult:
    x: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    blocks: npt.NDArray[np.intp]

def isotonic_regression(
    y: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = ...,
    increasing: bool = ...,
) -> OptimizeResult: ...

def brentq(f: object, a: float, b: float, *, xtol: float = ...) -> float: ...
