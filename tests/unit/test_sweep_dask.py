"""st.sweep on Dask: one local cluster reused across sweeps (with the bars scattered once while
they are unchanged), workers sharing the client's numba cache, and strategies sent by reference
(imported on the worker) unless they cannot be, when they are pickled and still give the same
table as the local executor.

The sweeps here share one local cluster of two workers, closed when the module is done.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys

import numpy as np
import pandas as pd
import pytest

import soltrader as st
from soltrader.engine.sweep import (
    StrategyReference,
    close_local_cluster,
    local_cluster,
    resolve_strategy,
    strategy_reference,
)
from tests.unit.test_sweep import _body_into_nb, _body_signals

pytest.importorskip("distributed")

# `soltrader.engine.sweep` the attribute is the function; the module is in sys.modules
sweep_module = sys.modules["soltrader.engine.sweep"]

SPACE = dict(fast=[5, 10, 20], slow=[30, 60], sl_stop=0.03, fees=0.001, slippage=0.0005)
OFF = dict(check_lookahead=False, progress=False)


#: A user's strategy in an importable module (this test module): workers import it by reference.
BODY = st.strategies.Strategy(
    name="body_breakout_dask_test",
    signal=_body_signals,
    params={"body": 0.01, "stop": 0.02},
    fused=st.strategies.Fused(_body_into_nb, levels=("sl_stop",)),
)
BODY_SPACE = dict(body=[0.005, 0.01, 0.02], stop=[0.02, 0.05], fees=0.001)

#: A built-in strategy renamed in this module: no function of it is defined here, so only the
#: search through every imported module finds it.
RENAMED = dataclasses.replace(st.strategies.sma_cross, name="sma_cross_renamed_test")


def _on_worker(payload: StrategyReference) -> tuple[bool, bool]:
    """Run on a worker: is the strategy it resolves the module attribute itself, with the
    module's own numba kernel (not a copy rebuilt from a pickle)?"""
    resolved = resolve_strategy(payload)
    home = getattr(importlib.import_module(payload.module), payload.attr)
    same_kernel = resolved.fused is None or resolved.fused.signals is home.fused.signals
    return resolved is home, same_kernel


def _worker_threads_in_task() -> int:
    return sweep_module._worker_threads()


@pytest.fixture(scope="module")
def bars(sol_1h) -> pd.DataFrame:
    return sol_1h.loc["2024-01-01":"2024-06-30"]


@pytest.fixture(scope="module")
def dask_client():
    """The reused local cluster's client (two workers); the cluster is closed after the module."""
    yield sweep_module._local_client(2)
    close_local_cluster()


def _same_table(a: st.SweepResult, b: st.SweepResult) -> None:
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.returns, b.returns)


def test_the_local_cluster_and_the_scattered_bars_are_reused(dask_client, bars) -> None:
    local = st.sweep(bars, st.strategies.sma_cross, n_jobs=2, **SPACE, **OFF)
    first = st.sweep(bars, st.strategies.sma_cross, executor="dask", n_jobs=2, **SPACE, **OFF)
    cluster, scattered = local_cluster(), sweep_module._LOCAL.data
    second = st.sweep(bars, st.strategies.sma_cross, executor="dask", n_jobs=2, **SPACE, **OFF)
    assert cluster is not None and local_cluster() is cluster
    assert sweep_module._LOCAL.client is dask_client
    assert sweep_module._LOCAL.data is scattered  # the same bars were not sent again
    assert first.fused and second.fused
    _same_table(first, local)
    _same_table(second, local)
    # the same frame changed in place: its new content is sent, and used
    moved = bars.copy()
    st.sweep(moved, st.strategies.sma_cross, executor="dask", n_jobs=2, **SPACE, **OFF)
    scattered = sweep_module._LOCAL.data
    moved[["open", "high", "low", "close"]] *= np.linspace(1.0, 1.5, len(bars))[:, None]
    third = st.sweep(moved, st.strategies.sma_cross, executor="dask", n_jobs=2, **SPACE, **OFF)
    assert local_cluster() is cluster and sweep_module._LOCAL.data is not scattered
    _same_table(third, st.sweep(moved, st.strategies.sma_cross, n_jobs=2, **SPACE, **OFF))
    assert not third.table.equals(first.table)


def test_workers_use_the_clients_numba_cache(dask_client) -> None:
    import numba

    expected = sweep_module._numba_cache_dir()
    seen = dask_client.run(lambda: numba.config.CACHE_DIR or None)
    assert len(seen) == 2
    assert {None if v is None else str(v) for v in seen.values()} == {expected}


def test_a_fused_chunk_runs_on_every_thread_of_its_worker(dask_client) -> None:
    threads = dask_client.submit(_worker_threads_in_task, pure=False).result()
    assert threads == 1 == next(iter(dask_client.nthreads().values()))
    assert sweep_module._worker_threads() == 1  # outside a worker


def test_a_scheduler_with_multithreaded_workers_gives_the_local_table(dask_client, bars) -> None:
    # one in-process worker of two threads: chunks of one combination each arrive together and
    # take turns at the fused kernel, each on both threads; the reused local cluster stays
    from distributed import LocalCluster

    before = local_cluster()
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        res = st.sweep(
            bars,
            st.strategies.sma_cross,
            executor="dask",
            address=cluster.scheduler_address,
            chunk_size=1,
            **SPACE,
            **OFF,
        )
    assert res.fused and local_cluster() is before
    _same_table(res, st.sweep(bars, st.strategies.sma_cross, n_jobs=2, **SPACE, **OFF))


def test_a_registered_strategy_is_resolved_on_the_worker_by_reference(dask_client) -> None:
    payload = sweep_module._dask_payload(st.strategies.sma_cross)
    assert isinstance(payload, StrategyReference)
    assert str(payload) == "soltrader.strategies.sma_cross:sma_cross"
    # a fallback that cannot unpickle: the worker must import the module
    broken = dataclasses.replace(payload, fallback=b"not a pickle")
    assert dask_client.submit(_on_worker, broken, pure=False).result() == (True, True)


def test_a_users_strategy_in_a_module_is_imported_by_reference(dask_client, bars) -> None:
    reference = strategy_reference(BODY)
    assert reference is not None and str(reference) == f"{__name__}:BODY"
    broken = dataclasses.replace(reference, fallback=b"not a pickle")
    assert dask_client.submit(_on_worker, broken, pure=False).result() == (True, True)
    on_dask = st.sweep(bars, BODY, executor="dask", n_jobs=2, **BODY_SPACE, **OFF)
    assert on_dask.fused and len(on_dask.table) == 6
    _same_table(on_dask, st.sweep(bars, BODY, n_jobs=2, **BODY_SPACE, **OFF))


def test_a_strategy_held_only_by_another_module_is_found_there() -> None:
    assert str(strategy_reference(RENAMED)) == f"{__name__}:RENAMED"
    assert resolve_strategy(strategy_reference(RENAMED)) is RENAMED


def test_a_main_strategy_falls_back_to_pickle_with_the_same_table(
    dask_client, bars, monkeypatch
) -> None:
    def body_signals(bars, body=0.01, stop=0.02):  # defined here, as in a notebook
        return _body_signals(bars, body, stop)

    mine = st.strategies.Strategy(
        name="body_breakout_main_test",
        signal=body_signals,
        params={"body": 0.01, "stop": 0.02},
        fused=st.strategies.Fused(_body_into_nb, levels=("sl_stop",)),
    )
    monkeypatch.setattr(sys.modules["__main__"], "mine", mine, raising=False)
    assert strategy_reference(mine) is None  # __main__ is not importable on a worker
    assert sweep_module._dask_payload(mine) is mine  # so it is pickled whole
    on_dask = st.sweep(bars, mine, executor="dask", n_jobs=2, **BODY_SPACE, **OFF)
    _same_table(on_dask, st.sweep(bars, mine, n_jobs=2, **BODY_SPACE, **OFF))


def test_a_reference_that_does_not_import_falls_back_to_its_pickle() -> None:
    import cloudpickle

    # a module that does not exist, an attribute that is not a strategy, another strategy
    places = (("no_such_module_for_soltrader", "x"), ("soltrader", "sweep"), ("soltrader", "grid"))
    for module, attr in places:
        ref = StrategyReference(module, attr, BODY.name, cloudpickle.dumps(BODY))
        assert resolve_strategy(ref).name == BODY.name
        with pytest.raises(st.ParameterError, match=r"strategy: .* no pickled copy") as info:
            resolve_strategy(dataclasses.replace(ref, fallback=b""))
        assert info.value.name == "strategy"


def test_close_local_cluster_frees_it_and_the_next_sweep_starts_another(dask_client) -> None:
    cluster = local_cluster()
    assert cluster is not None
    assert close_local_cluster() is True
    assert local_cluster() is None and cluster.status.name == "closed"
    assert dask_client.status == "closed"
    assert close_local_cluster() is False  # nothing left to close
    fresh = sweep_module._local_client(2)  # what the next Dask sweep does (closed by the fixture)
    assert fresh is not dask_client and fresh.status == "running"
    assert local_cluster() is not None and local_cluster() is not cluster
