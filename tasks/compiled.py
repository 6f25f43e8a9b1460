"""numba for the few loops NumPy cannot run without a call per step (`compiled`).

A kernel is a plain Python function, compiled on its first use in a process, so importing
a step does not import numba (a quarter of a second) and the function stays readable and
testable as Python. The machine code is cached on disk next to its module: a later
process loads it instead of compiling (measured: 0.5 s for the first call, of which LLVM's
start-up is most). Compiled without fast-math, floating-point operations are the same IEEE
ones in the same order as the Python; integer ones wrap at 64 bits as NumPy's do.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def compiled(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` compiled by numba (nopython mode, NumPy's error model: x/0 is inf)."""
    import numba

    try:
        return numba.njit(cache=True, error_model="numpy")(function)
    except RuntimeError:  # no writable cache folder: compiled afresh by each process (~1 s)
        return numba.njit(error_model="numpy")(function)
