"""Parts (kernels only other kernels call) are optimised once, by the kernel a Python call
reaches; the results do not change."""

from __future__ import annotations

import numpy as np
from numba import njit

from soltrader import _jit


@_jit.part(cache=False)
def _scaled_sum(x, k):
    total = 0.0
    for v in x:
        total += v * k + np.sqrt(abs(v))
    return total


@njit(cache=False)
def _caller(x):
    return _scaled_sum(x, 1.5) - _scaled_sum(x[::2], 0.25)


def _plain(x):
    def scaled(y, k):
        total = 0.0
        for v in y:
            total += v * k + np.sqrt(abs(v))
        return total

    return scaled(x, 1.5) - scaled(x[::2], 0.25)


def test_install_is_idempotent_and_active() -> None:
    assert _jit.install() is True
    assert _jit.install() is True


def test_a_part_compiled_for_a_caller_is_optimised_cheaply_with_the_same_result() -> None:
    x = np.random.default_rng(3).normal(size=1001)
    before = dict(_jit.OPTIMISED)
    got = _caller(x)
    # the part, compiled for _caller twice: x (contiguous) and x[::2] (any layout)
    assert _jit.OPTIMISED["cheap"] == before["cheap"] + 2
    assert _jit.OPTIMISED["full"] >= before["full"] + 1  # _caller itself, in full
    assert got == _plain(x)  # IEEE arithmetic: the optimisation level changes no bit


def test_a_part_called_from_python_is_optimised_in_full() -> None:
    x = np.arange(7, dtype=np.int64)  # a signature no caller compiled
    before = dict(_jit.OPTIMISED)
    got = _scaled_sum(x, 2.0)
    assert _jit.OPTIMISED["cheap"] == before["cheap"]
    assert _jit.OPTIMISED["full"] >= before["full"] + 1
    assert got == sum(float(v) * 2.0 + np.sqrt(abs(float(v))) for v in x)
