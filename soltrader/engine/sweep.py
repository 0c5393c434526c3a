"""Parameter sweeps: grids, seeded random samples and Bayesian search (optuna) over a strategy's
parameters and any backtest keyword, run in parallel, with overfitting diagnostics attached.

Every combination is a complete :func:`soltrader.engine.backtest`, so a sweep row and
``st.backtest`` of that combination are the same computation; ``SweepResult.backtest(row)``
re-runs one as a full :class:`~soltrader.engine.Result`. Combinations run in threads (the numba
kernels release the GIL), or on a Dask cluster with ``executor="dask"`` (a local cluster reused
across sweeps, or a scheduler's ``address``; workers import the strategy by reference). The
table is ordered by combination whatever the execution, so serial, parallel, chunked and
distributed runs give identical tables.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import itertools
import math
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from soltrader._cache import cache_dir
from soltrader.domain.errors import DataError, MissingDependencyError, ParameterError
from soltrader.engine._progress import Bar, check_progress, progress_bar
from soltrader.engine.backtest import (
    _BACKTEST_KEYWORDS,
    backtest,
    checked_strategy,
    not_a_keyword,
)
from soltrader.engine.fused import (
    Periods,
    evaluate_chunk,
    fused_chunk,
    fused_plan,
    generic_chunk,
    period_index,
)
from soltrader.engine.inputs import market_from
from soltrader.engine.result import Result
from soltrader.metrics import SUMMARY_FIELDS
from soltrader.strategies.spec import Strategy

#: Values of these types in the search space are swept; anything else is a fixed value. A set
#: is swept in sorted order, a Series or Index over its values -- except a Series indexed like
#: the bars, which is a per-bar input and stays fixed.
SWEPT_TYPES = (list, tuple, range, np.ndarray, set, frozenset, pd.Series, pd.Index)
#: Metrics that are better when smaller.
MINIMISED = frozenset(
    {
        "max_drawdown",
        "max_drawdown_duration_bars",
        "deepest_drawdown_duration_bars",
        "annualized_volatility",
        "fees_paid",
        "turnover",
        "annualized_turnover",
    }
)


@dataclass(frozen=True)
class Fixed:
    """Marks a value as fixed for every combination even though it is a sequence (for example
    a per-bar array of limit prices). ``st.fixed(x)`` builds one."""

    value: Any


def fixed(value: Any) -> Fixed:
    """Keep ``value`` fixed in a sweep even if it is a list or an array.

    Examples
    --------
    >>> fixed([1, 2, 3]).value
    [1, 2, 3]
    """
    return Fixed(value)


def _swept_values(name: str, value: Any) -> list[Any]:
    """The values a swept keyword takes, in order (a set sorted, a Series by its values)."""
    if isinstance(value, set | frozenset):
        try:
            value = sorted(value)
        except TypeError as exc:
            raise ParameterError(
                name, f"a set of values to sweep must be sortable (one type), got {value!r}"
            ) from exc
    elif isinstance(value, pd.Series | pd.Index):
        value = value.to_numpy()
    values = [v.item() if isinstance(v, np.generic) else v for v in value]
    if not values:
        raise ParameterError(name, "its list of values to sweep is empty")
    return values


def _one_dimensional(value: Any) -> bool:
    return np.ndim(list(value) if isinstance(value, set | frozenset) else value) == 1


def split_space(
    strategy: Strategy, space: Mapping[str, Any], index: pd.Index | None = None
) -> tuple[dict, dict]:
    """Split sweep keywords into fixed values and swept value lists.

    A list, tuple, range, 1-D array, set (swept in sorted order), Series or Index (over its
    values) is swept; anything else, ``st.fixed(x)``, and a Series whose index is ``index``
    (the bars' own: a per-bar input such as ``limit_price``) is fixed.

    Examples
    --------
    >>> from soltrader.strategies import sma_cross
    >>> split_space(sma_cross, {"fast": range(5, 15, 5), "fees": 0.001})
    ({'fees': 0.001}, {'fast': [5, 10]})
    >>> split_space(sma_cross, {"fast": {20, 10}})
    ({}, {'fast': [10, 20]})
    """
    fixed_values: dict[str, Any] = {}
    swept: dict[str, list[Any]] = {}
    for name, value in space.items():
        if name not in strategy.params and name not in _BACKTEST_KEYWORDS:
            raise ParameterError(name, not_a_keyword(strategy, name))
        per_bar = isinstance(value, pd.Series) and index is not None and value.index.equals(index)
        if isinstance(value, Fixed):
            fixed_values[name] = value.value
        elif isinstance(value, SWEPT_TYPES) and _one_dimensional(value) and not per_bar:
            swept[name] = _swept_values(name, value)
        else:
            fixed_values[name] = value
    return fixed_values, swept


def grid(swept: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the swept values, in a stable order (the last name varies fastest).

    Examples
    --------
    >>> grid({"a": [1, 2], "b": [3]})
    [{'a': 1, 'b': 3}, {'a': 2, 'b': 3}]
    """
    names = list(swept)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(swept[n] for n in names))
    ]


Constraint = str | Callable[[dict[str, Any]], bool]


def _as_list(constraints: Constraint | Iterable[Constraint]) -> list[Constraint]:
    if isinstance(constraints, str) or callable(constraints):
        return [constraints]
    return list(constraints)


def _satisfies(combo: dict[str, Any], constraint: Constraint) -> bool:
    if callable(constraint):
        return bool(constraint(combo))
    return bool(eval(constraint, {"__builtins__": {}}, dict(combo)))


def apply_constraints(
    combos: list[dict[str, Any]], constraints: Constraint | Iterable[Constraint] | None
) -> list[dict[str, Any]]:
    """Keep the combinations that satisfy every constraint: a callable of the parameter dict or
    an expression over the parameter names such as ``"fast < slow"``.

    Raises
    ------
    ParameterError
        If a constraint cannot be evaluated, or no combination satisfies them all.

    Examples
    --------
    >>> apply_constraints(grid({"fast": [10, 50], "slow": [20]}), "fast < slow")
    [{'fast': 10, 'slow': 20}]
    """
    if constraints is None:
        return combos
    items = _as_list(constraints)
    kept = []
    for combo in combos:
        try:
            if all(_satisfies(combo, c) for c in items):
                kept.append(combo)
        except Exception as exc:
            raise ParameterError(
                "constraints", f"cannot evaluate {items!r} on {combo}: {exc}"
            ) from exc
    if not kept:
        raise ParameterError("constraints", f"no combination of the space satisfies {items!r}")
    return kept


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class OptunaTrials:
    """The trials of an optuna search: ``run`` in all, ``repeated`` that drew a combination
    evaluated before (optuna's TPE sampler may; the table lists each combination once) and
    ``pruned`` that broke a constraint."""

    run: int
    repeated: int
    pruned: int


@dataclass
class SweepResult:
    """A sweep's outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per combination (index ``combination``): the swept parameters, then every
        statistic of :meth:`soltrader.engine.Result.stats`.
    returns : pandas.DataFrame
        Per-period (default daily) account returns, one column per combination: the input of
        the probability of backtest overfitting and the deflated Sharpe ratio.
    params : list of str
        The swept names.
    fixed : dict
        The values shared by every combination.
    metric : str
        The statistic that ranks combinations; ``maximize`` tells the direction.
    complete : bool
        False when the sweep was interrupted: the table holds the combinations finished by then.
    lookahead : LookaheadReport or None
        The look-ahead check of the best combination (None when not run).
    fused : bool
        True when the combinations ran in the strategy's fused parallel kernel, False when each
        was a full backtest (same results either way).
    trials : OptunaTrials or None
        With ``method="optuna"``: how many trials ran, how many re-drew a combination already
        in the table (each combination is evaluated and listed once) and how many the
        constraints pruned.
    """

    table: pd.DataFrame
    returns: pd.DataFrame
    params: list[str]
    fixed: dict[str, Any]
    metric: str
    maximize: bool
    data: Any = field(repr=False)
    strategy: Strategy = field(repr=False)
    combos: list[dict[str, Any]] = field(default_factory=list, repr=False)
    complete: bool = True
    lookahead: Any = None
    fused: bool = False
    trials: OptunaTrials | None = None

    def _order(self, metric: str | None) -> tuple[str, bool]:
        name = metric or self.metric
        if name not in self.table.columns:
            raise ParameterError("metric", f"{name!r} is not a column of the sweep table")
        maximize = self.maximize if metric is None else name not in MINIMISED
        return name, maximize

    def top(self, n: int = 10, metric: str | None = None) -> pd.DataFrame:
        """The ``n`` best rows by ``metric`` (NaN last).

        Examples
        --------
        >>> grid_result.top(5, "sortino")  # doctest: +SKIP
        """
        name, maximize = self._order(metric)
        return self.table.sort_values(
            name, ascending=not maximize, na_position="last", kind="stable"
        ).head(n)

    def best(self, metric: str | None = None) -> pd.Series:
        """The best row by ``metric``."""
        return self.top(1, metric).iloc[0]

    @property
    def best_params(self) -> dict[str, Any]:
        """Parameters of the best combination (swept and fixed), ready for ``st.backtest``."""
        return {**self.fixed, **self.combos[int(self.best().name)]}

    def backtest(self, row: int | pd.Series) -> Result:
        """Re-run one combination (a row of the table, or its combination number) as a full
        backtest; its ``stats()`` equal that row of the table exactly."""
        key = row.name if isinstance(row, pd.Series) else row
        if key not in self.table.index:
            raise ParameterError("row", f"no combination {key!r} in this sweep")
        return backtest(self.data, self.strategy, **self.fixed, **self.combos[int(key)])

    def heatmap(self, x: str, y: str, metric: str | None = None, *, ax: Any = None) -> Any:
        """A heatmap of ``metric`` over two swept parameters (the best value over any others).

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        name, maximize = self._order(metric)
        for axis in (x, y):
            if axis not in self.params:
                raise ParameterError(axis, f"not a swept parameter ({self.params})")
        pivot = self.table.pivot_table(
            index=y, columns=x, values=name, aggfunc="max" if maximize else "min"
        )
        if ax is None:
            fig, ax = plt.subplots(
                figsize=(1.2 + 0.6 * pivot.shape[1], 1.0 + 0.45 * pivot.shape[0])
            )
        else:
            fig = ax.figure
        image = ax.imshow(
            pivot.to_numpy(dtype=float),
            aspect="auto",
            origin="lower",
            cmap="viridis" if maximize else "viridis_r",
        )
        ax.set_xticks(range(pivot.shape[1]), [f"{v:g}" for v in pivot.columns], rotation=45)
        ax.set_yticks(range(pivot.shape[0]), [f"{v:g}" for v in pivot.index])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        fig.colorbar(image, ax=ax, label=name)
        ax.set_title(f"{self.strategy.name}: {name}")
        fig.tight_layout()
        return fig

    @property
    def flat(self) -> list[int]:
        """Combinations whose account never moved (every period return 0: they never traded).

        Their Sharpe ratio is nan in the table (undefined, as in ``Result.stats()``); the
        probability of backtest overfitting and the deflated Sharpe ratio count each as a trial
        with a Sharpe ratio of 0.
        """
        still = (self.returns.to_numpy() == 0.0).all(axis=0)
        return [int(c) for c in self.returns.columns[still]]

    @cached_property
    def pbo(self) -> Any:
        """Probability of backtest overfitting (CSCV over the period returns), a ``PBOResult``;
        None when there are fewer than 2 combinations or 4 periods. A combination that never
        traded has a Sharpe ratio of 0 in every split."""
        from soltrader.engine.validation import pbo_cscv

        t, n = self.returns.shape
        if n < 2 or t < 4:
            return None
        splits = min(16, t - t % 2 if t % 2 else t)
        splits = max(2, splits - splits % 2)
        return pbo_cscv(self.returns.to_numpy(), n_splits=splits, metric="sharpe")

    @cached_property
    def deflated_sharpe(self) -> Any:
        """Deflated Sharpe ratio of the best configuration given all those tried, a
        ``DeflatedSharpe``; None with fewer than 2 combinations. A combination that never
        traded is a trial with a Sharpe ratio of 0 (``n_flat`` counts them)."""
        from soltrader.engine.validation import deflated_sharpe_from_sweep

        if self.returns.shape[1] < 2 or self.returns.shape[0] < 4:
            return None
        return deflated_sharpe_from_sweep(self.returns.to_numpy())

    def summary(self) -> pd.Series:
        """The sweep in a few figures: size, how many combinations never traded, best row, PBO,
        deflated Sharpe, look-ahead (and, for an optuna search, its trials).

        Examples
        --------
        >>> sw.summary()["flat_combinations"]  # doctest: +SKIP
        2
        """
        best = self.best()
        pbo = self.pbo
        dsr = self.deflated_sharpe
        out = {
            "combinations": len(self.table),
            "flat_combinations": len(self.flat),
            "complete": self.complete,
            "metric": self.metric,
            "best": self.combos[int(best.name)],
            f"best_{self.metric}": float(best[self.metric]),
            "pbo": None if pbo is None else pbo.pbo,
            "deflated_sharpe": None if dsr is None else dsr.dsr,
            "lookahead_ok": None if self.lookahead is None else self.lookahead.ok,
        }
        if self.trials is not None:
            out["trials"] = self.trials.run
            out["repeated_trials"] = self.trials.repeated
            out["pruned_trials"] = self.trials.pruned
        return pd.Series(out)

    def __repr__(self) -> str:
        head = (
            f"SweepResult({self.strategy.name}: {len(self.table)} combinations of "
            f"{', '.join(self.params)}, {'fused' if self.fused else 'generic'} path"
        )
        if self.flat:
            head += f", {len(self.flat)} never traded"
        if not self.complete:
            head += ", interrupted"
        if self.trials is not None:
            head += f", {self.trials.run} optuna trials ({self.trials.repeated} repeated)"
        if not len(self.table):
            return head + ")"
        best = self.best()
        return (
            f"{head}; best by {self.metric}: #{best.name} {self.combos[int(best.name)]} "
            f"{self.metric} {float(best[self.metric]):.4g})"
        )


Chunk = tuple[np.ndarray, np.ndarray]


def _run_local(data, strategy, combos, fixed_values, periods, n_jobs, size, progress, callback):
    """Chunks in turn through the fused kernel (each chunk parallel inside), or through a pool
    of threads running full backtests; stops cleanly at a KeyboardInterrupt between chunks."""
    plan = fused_plan(data, strategy, combos, fixed_values)
    size = size or _default_chunk(len(combos), n_jobs, plan is not None)
    bounds = [(lo, min(lo + size, len(combos))) for lo in range(0, len(combos), size)]
    results: list[Chunk] = []
    bar = _progress(len(combos), progress)
    complete = True
    pool = ThreadPoolExecutor(max_workers=n_jobs) if plan is None and n_jobs > 1 else None
    try:
        if plan is not None:
            for lo, hi in bounds:
                results.append(fused_chunk(plan, strategy, lo, hi, periods, n_jobs))
                _advance(bar, callback, combos[lo:hi], results[-1])
        elif pool is None:
            for lo, hi in bounds:
                results.append(generic_chunk(data, strategy, combos[lo:hi], fixed_values, periods))
                _advance(bar, callback, combos[lo:hi], results[-1])
        else:
            futures = [
                pool.submit(generic_chunk, data, strategy, combos[lo:hi], fixed_values, periods)
                for lo, hi in bounds
            ]
            for (lo, hi), future in zip(bounds, futures, strict=True):
                results.append(future.result())
                _advance(bar, callback, combos[lo:hi], results[-1])
    except KeyboardInterrupt:
        complete = False
    finally:
        if pool is not None:
            pool.shutdown(wait=complete, cancel_futures=True)
        bar.close()
    return results, complete, plan is not None


def _positive_seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not seconds > 0.0 or math.isinf(seconds):
        raise ParameterError("connect_timeout", f"expected seconds > 0, got {value!r}")
    return seconds


def _connect(client_class: Any, address: Any, timeout: float) -> Any:
    """A client of the scheduler at ``address``, or a ParameterError naming ``address``."""
    if not isinstance(address, str):
        raise ParameterError(
            "address", f"expected a scheduler address such as 'tcp://host:8786', got {address!r}"
        )
    try:
        return client_class(address, timeout=timeout)
    except Exception as exc:  # dask raises OSError, ValueError or worse for a bad address
        raise ParameterError(
            "address",
            f"no Dask scheduler answered at {address!r} within {timeout:g} s "
            f"({type(exc).__name__}: {exc}); start one with `dask scheduler`, or leave "
            "address=None for a local cluster",
        ) from exc


# ---------------------------------------------------------------------------------------- Dask
#
# A Dask sweep ships the bars once per cluster (scattered to every worker, and not again while
# the same bars come back), the combinations in chunks, and the strategy *by reference* when it
# can: the worker imports the strategy's module and takes the attribute, so it runs the module's
# own numba dispatchers, which load from the on-disk cache (``NUMBA_CACHE_DIR``). A pickled
# strategy carries dispatchers that the worker rebuilds and compiles again (numba does not look
# a rebuilt dispatcher up in the disk cache): seconds to tens of seconds per worker process.

#: Module names a worker cannot import a strategy from (a script, a notebook, a spawned main).
_UNIMPORTABLE = frozenset({"__main__", "__mp_main__", "builtins"})


@dataclass(frozen=True)
class StrategyReference:
    """Where a Dask worker finds a strategy: attribute ``attr`` of the importable module
    ``module`` (written ``module:attr``), with the strategy's ``name`` to check what it finds
    and ``fallback``, the strategy pickled by value, for a worker that cannot import it.

    Examples
    --------
    >>> import soltrader as st
    >>> str(strategy_reference(st.strategies.sma_cross))
    'soltrader.strategies.sma_cross:sma_cross'
    """

    module: str
    attr: str
    name: str
    fallback: bytes = field(repr=False, compare=False, default=b"")

    def __str__(self) -> str:
        return f"{self.module}:{self.attr}"


def _home_modules(strategy: Strategy) -> list[str]:
    """The modules that define the strategy's functions (where it most likely lives too)."""
    functions: list[Any] = [strategy.signal, strategy.check, strategy.backtest_defaults]
    if strategy.fused is not None:
        functions.append(getattr(strategy.fused.signals, "py_func", None))
    return [m for m in (getattr(f, "__module__", None) for f in functions) if isinstance(m, str)]


def strategy_reference(strategy: Strategy) -> StrategyReference | None:
    """The importable ``module:attr`` that holds ``strategy``, or None when no importable module
    does (a strategy defined in a script's ``__main__``, a notebook, or inside a function).

    The modules that define the strategy's functions are searched first, then every imported
    module; the attribute must be the very object (``is``), so a worker that imports the module
    gets the same strategy with the same compiled kernels.

    Parameters
    ----------
    strategy : Strategy
        The strategy spec.

    Returns
    -------
    StrategyReference or None
        Its ``fallback`` is left empty; :func:`soltrader.engine.sweep` fills it in when it sends
        the reference to Dask workers.

    Examples
    --------
    >>> import soltrader as st
    >>> strategy_reference(st.strategies.mean_reversion).module
    'soltrader.strategies.mean_reversion'
    >>> local = st.strategies.Strategy(name="mine", signal=lambda bars: None, params={})
    >>> strategy_reference(local) is None
    True
    """
    seen: set[str] = set()
    for name in [*_home_modules(strategy), *list(sys.modules)]:
        if name in seen or name in _UNIMPORTABLE:
            continue
        seen.add(name)
        module = sys.modules.get(name)
        if module is None or getattr(module, "__spec__", None) is None:
            continue  # not imported, or not importable by name (e.g. an interactive session)
        try:
            namespace = list(vars(module).items())
        except TypeError:  # an object in sys.modules without a __dict__
            continue
        for attr, value in namespace:
            if value is strategy:
                return StrategyReference(name, attr, strategy.name)
    return None


def _dask_payload(strategy: Strategy) -> StrategyReference | Strategy:
    """What a Dask task carries for ``strategy``: its reference with a pickled fallback, or the
    strategy itself (pickled by value) when no importable module holds it."""
    reference = strategy_reference(strategy)
    if reference is None:
        return strategy
    import cloudpickle  # a dependency of dask.distributed

    return replace(reference, fallback=cloudpickle.dumps(strategy))


def resolve_strategy(payload: StrategyReference | Strategy) -> Strategy:
    """The strategy a Dask task names: imported by reference (the worker's own module object,
    with its cached numba kernels), else unpickled from the reference's fallback (a worker that
    cannot import the module, or whose module holds something else there).

    Examples
    --------
    >>> import soltrader as st
    >>> ref = strategy_reference(st.strategies.grid)
    >>> resolve_strategy(ref) is st.strategies.grid
    True
    """
    if isinstance(payload, Strategy):
        return payload
    try:
        found = getattr(importlib.import_module(payload.module), payload.attr)
    except Exception:  # any failure to import falls back to the pickled copy
        found = None
    if isinstance(found, Strategy) and found.name == payload.name:
        return found
    if not payload.fallback:
        raise ParameterError(
            "strategy",
            f"{payload} does not import as the strategy {payload.name!r} on this worker "
            "and no pickled copy came with it",
        )
    return pickle.loads(payload.fallback)


#: One fused kernel at a time in a worker process: it runs on all the worker's threads.
_KERNEL_LOCK = threading.Lock()


def _worker_threads() -> int:
    """Threads of the Dask worker running the current task (1 outside a worker)."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def dask_chunk(
    data: Any,
    strategy: StrategyReference | Strategy,
    combos: list[dict[str, Any]],
    fixed_values: dict[str, Any],
    periods: Periods,
) -> Chunk:
    """One chunk of a Dask sweep, on a worker: the strategy resolved by
    :func:`resolve_strategy`, then the fused kernel on all the worker's threads (one chunk at a
    time per worker process) or, when the chunk does not fuse, one full backtest per
    combination. Same (statistics, period returns) as :func:`soltrader.engine.fused.evaluate_chunk`.
    """
    resolved = resolve_strategy(strategy)
    plan = fused_plan(data, resolved, combos, fixed_values)
    if plan is None:
        return generic_chunk(data, resolved, combos, fixed_values, periods)
    with _KERNEL_LOCK:
        return fused_chunk(plan, resolved, 0, len(combos), periods, _worker_threads())


@dataclass
class _LocalCluster:
    """The local cluster that ``executor="dask"`` sweeps without ``address`` reuse."""

    cluster: Any = None
    client: Any = None
    key: tuple = ()
    pid: int = 0
    data: tuple[str, Any] | None = None  # (token of the bars, their scattered future)

    def clear(self) -> None:
        self.cluster, self.client, self.key, self.pid, self.data = None, None, (), 0, None


_LOCAL = _LocalCluster()
_LOCAL_LOCK = threading.RLock()
_AT_EXIT: list[bool] = []


def _numba_cache_dir() -> str:
    """The client's numba cache folder (:func:`soltrader._cache.cache_dir`), which local
    workers must share."""
    return str(cache_dir())


def _alive(state: _LocalCluster) -> bool:
    from distributed.core import Status

    return state.client.status == "running" and state.cluster.status == Status.running


def _local_client(n_jobs: int) -> Any:
    """The client of the reused local cluster (``n_jobs`` single-threaded worker processes that
    share this process's numba cache), started on first use or when ``n_jobs`` or the cache
    directory changed."""
    from dask.distributed import Client, LocalCluster

    cache = _numba_cache_dir()
    key = (n_jobs, cache)
    with _LOCAL_LOCK:
        if _LOCAL.pid != os.getpid():  # inherited through fork: the parent's, not ours to close
            _LOCAL.clear()
        if _LOCAL.client is not None and (_LOCAL.key != key or not _alive(_LOCAL)):
            close_local_cluster()
        if _LOCAL.client is None:
            cluster = LocalCluster(
                n_workers=n_jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # the scheduler's small HTTP server (health, metrics) on a free local port, not
                # on 8787 where another cluster's dashboard may be
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                env={"NUMBA_CACHE_DIR": cache} if cache else {},
            )
            try:
                client = Client(cluster, set_as_default=False)
            except BaseException:
                cluster.close()
                raise
            _LOCAL.cluster, _LOCAL.client, _LOCAL.key = cluster, client, key
            _LOCAL.pid = os.getpid()
            if not _AT_EXIT:
                atexit.register(_close_at_exit)
                _AT_EXIT.append(True)
        return _LOCAL.client


def local_cluster() -> Any:
    """The ``distributed.LocalCluster`` that ``st.sweep(..., executor="dask")`` reuses (without
    ``address``), or None before the first such sweep and after :func:`close_local_cluster`.

    Examples
    --------
    >>> from soltrader.engine.sweep import local_cluster
    >>> local_cluster() is None  # no Dask sweep has run in this process
    True
    """
    with _LOCAL_LOCK:
        return _LOCAL.cluster if _LOCAL.pid == os.getpid() else None


def close_local_cluster() -> bool:
    """Close the local Dask cluster that ``executor="dask"`` sweeps reuse, with the bars
    scattered to it. The next Dask sweep starts a new one; it is also closed at interpreter
    exit.

    Returns
    -------
    bool
        True if a cluster was running.

    Examples
    --------
    >>> from soltrader.engine.sweep import close_local_cluster
    >>> res = st.sweep(bars, st.strategies.sma_cross, executor="dask",
    ...                fast=[10, 20])                      # doctest: +SKIP
    >>> close_local_cluster()  # frees its worker processes  # doctest: +SKIP
    True
    """
    with _LOCAL_LOCK:
        client, cluster, own = _LOCAL.client, _LOCAL.cluster, _LOCAL.pid == os.getpid()
        _LOCAL.clear()
    if client is None or not own:
        return False
    try:
        client.close()
    finally:
        cluster.close()
    return True


def _close_at_exit() -> None:
    with contextlib.suppress(Exception):  # the interpreter is going: nothing left to report to
        close_local_cluster()


def _scattered(client: Any, data: Any, reuse: bool) -> Any:
    """``data`` on every worker: the future(s) of the last scatter when the reused local cluster
    already holds the same bars (same content: dask's ``tokenize``), else a new scatter."""
    if not reuse:
        return client.scatter(data, broadcast=True)
    from dask.base import tokenize

    token = tokenize(data)
    with _LOCAL_LOCK:
        held = _LOCAL.data
        if held is not None and held[0] == token:
            futures = held[1].values() if isinstance(held[1], dict) else [held[1]]
            if all(f.status == "finished" for f in futures):
                return held[1]
        shared = client.scatter(data, broadcast=True)
        _LOCAL.data = (token, shared)
    return shared


def _dask_chunk_size(k: int, client: Any, n_jobs: int, fused: bool) -> int:
    """Combinations per task, about four tasks per slot so that a worker that finishes early
    takes more (combinations differ in cost: those that trade more take longer). A fused chunk
    runs on all of a worker's threads, so a worker is one slot; a generic chunk is one thread's
    work, so every thread of the cluster is a slot."""
    threads = dict(client.nthreads()) or {"": n_jobs}
    slots = len(threads) if fused else sum(threads.values())
    return max(1, math.ceil(k / (4 * slots)))


def _run_dask(
    data,
    strategy,
    combos,
    fixed_values,
    periods,
    n_jobs,
    size,
    address,
    timeout,
    progress,
    callback,
):
    """Chunks as tasks of the reused local cluster (``address`` None) or of the scheduler at
    ``address``, in order; stops cleanly at a KeyboardInterrupt between chunks."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise MissingDependencyError(
            "executor='dask' needs dask.distributed: pip install 'soltrader[dist]'"
        ) from exc
    fused = fused_plan(data, strategy, combos, fixed_values) is not None
    payload = _dask_payload(strategy)
    if address is None:
        client = _local_client(n_jobs)
    else:
        client = _connect(Client, address, timeout)
    bar = _progress(len(combos), progress)
    results: list[Chunk] = []
    complete = True
    futures: list[Any] = []
    try:
        chunks = _chunks(combos, size or _dask_chunk_size(len(combos), client, n_jobs, fused))
        shared = _scattered(client, data, reuse=address is None)
        futures = [
            client.submit(dask_chunk, shared, payload, c, fixed_values, periods, pure=False)
            for c in chunks
        ]
        for chunk, fut in zip(chunks, futures, strict=True):
            results.append(fut.result())
            _advance(bar, callback, chunk, results[-1])
    except KeyboardInterrupt:
        complete = False
        client.cancel(futures)
    finally:
        bar.close()
        if address is not None:
            client.close()
    return results, complete, fused


def _default_chunk(k: int, n_jobs: int, fused: bool) -> int:
    """Combinations per chunk: a fused chunk keeps every thread busy for many combinations (its
    scratch and moving averages are reused inside a chunk) and still reports progress about ten
    times; a generic chunk is a task of a thread pool or a Dask worker (about 4 per worker)."""
    if fused:
        return max(1, min(k, max(math.ceil(k / 10), 64 * n_jobs)))
    return max(1, math.ceil(k / (4 * n_jobs)))


def _progress(total: int, progress: bool | None) -> Bar:
    """The sweep's bar: combinations done, advanced once per chunk (see ``progress_bar``)."""
    return progress_bar(progress, total, desc="sweep", unit="combination")


def _advance(bar: Bar, callback: Callable | None, combos: list[dict], chunk: Chunk) -> None:
    bar.update(len(combos))
    if callback is not None:
        for combo, stats in zip(combos, chunk[0], strict=True):
            callback(combo, pd.Series(stats, index=list(SUMMARY_FIELDS), name="summary"))


@contextmanager
def _optuna_quiet(optuna: Any) -> Iterator[None]:
    """Optuna logs a line per trial: silence it below warnings for this search only."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _optuna_combos(
    data,
    strategy,
    swept,
    fixed_values,
    periods,
    n_trials,
    seed,
    metric,
    maximize,
    constraints,
    bar: Bar,
) -> tuple[list[tuple[dict, Chunk]], OptunaTrials]:
    """The distinct combinations optuna's TPE search tried (with their results) and a count of
    its trials: run, repeated (a combination drawn again; evaluated once) and pruned. ``bar``
    advances once per trial."""
    try:
        import optuna
    except ImportError as exc:
        raise MissingDependencyError(
            "method='optuna' needs optuna: pip install 'soltrader[search]'"
        ) from exc
    if metric not in SUMMARY_FIELDS:
        raise ParameterError(
            "metric", f"{metric!r} is not a statistic; use one of {list(SUMMARY_FIELDS)}"
        )
    evaluated: dict[tuple, tuple[dict, Chunk]] = {}
    column = SUMMARY_FIELDS.index(metric)
    counts = {"repeated": 0, "pruned": 0}

    def objective(trial: Any) -> float:
        combo = {name: trial.suggest_categorical(name, values) for name, values in swept.items()}
        bar.update(1)
        if constraints is not None and not all(_satisfies(combo, c) for c in _as_list(constraints)):
            counts["pruned"] += 1
            raise optuna.TrialPruned()
        key = tuple(combo.items())
        if key in evaluated:
            counts["repeated"] += 1
        else:
            evaluated[key] = (
                combo,
                evaluate_chunk(data, strategy, [combo], fixed_values, periods),
            )
        value = float(evaluated[key][1][0][0, column])
        return value if math.isfinite(value) else (-math.inf if maximize else math.inf)

    with _optuna_quiet(optuna):
        study = optuna.create_study(
            direction="maximize" if maximize else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed),
        )
        study.optimize(objective, n_trials=n_trials)
    trials = OptunaTrials(len(study.trials), counts["repeated"], counts["pruned"])
    return list(evaluated.values()), trials


def sweep(
    data: Any,
    strategy: Strategy,
    *,
    method: str = "grid",
    n_samples: int | None = None,
    n_trials: int | None = None,
    seed: int = 0,
    constraints: Constraint | Iterable[Constraint] | None = None,
    metric: str = "sharpe",
    maximize: bool | None = None,
    n_jobs: int | None = None,
    chunk_size: int | None = None,
    executor: str = "local",
    address: str | None = None,
    connect_timeout: float = 10.0,
    periods: str = "1D",
    check_lookahead: bool = True,
    progress: bool | None = None,
    callback: Callable[[dict, pd.Series], None] | None = None,
    **space: Any,
) -> SweepResult:
    """Backtest many parameter combinations of ``strategy`` and rank them.

    Parameters
    ----------
    data : OHLCV frame or dict of frames
        As for :func:`soltrader.engine.backtest`.
    strategy : Strategy
        The strategy spec.
    method : {"grid", "random", "optuna"}
        Every combination of the space; ``n_samples`` of them drawn without replacement
        (seeded); or ``n_trials`` of optuna's TPE search over the same discrete values (seeded).
    constraints : str, callable or a list of them, optional
        Combinations must satisfy all, e.g. ``"fast < slow"``; none apply unless given.
    metric, maximize
        The statistic that ranks combinations (any column of ``Result.stats()``) and its
        direction (default: larger is better, except for drawdowns, volatility, costs).
    n_jobs : int, optional
        Threads (``executor="local"``, default: the number of CPUs) or the worker processes of
        the local Dask cluster (``executor="dask"`` without ``address``; a scheduler at
        ``address`` has its own workers).
    chunk_size : int, optional
        Combinations per chunk; progress, streaming and Ctrl-C act between chunks (default: fused
        runs, at least 64 per thread and about ten chunks; generic runs, about 4 tasks per
        worker).
    executor : {"local", "dask"}
        Where chunks run. ``"dask"`` without ``address`` runs on a local cluster of ``n_jobs``
        single-threaded worker processes that is started by the first such sweep and reused by
        the next ones (with the bars, scattered once while they are unchanged); it shares this
        process's numba cache (``NUMBA_CACHE_DIR`` as set when it starts) and closes at exit or
        with ``close_local_cluster()`` (``from soltrader.engine.sweep import
        close_local_cluster``). With ``address`` the sweep runs on that scheduler (e.g.
        ``"tcp://10.0.0.5:8786"``): start its workers with soltrader installed and one
        ``NUMBA_CACHE_DIR`` they can write (the client's own directory on a shared disk, or a
        per-machine one warmed once), or every new worker process compiles the kernels again
        (tens of seconds). A fused sweep runs the fused kernel on every thread of each worker.
        Workers import the strategy **by reference** (``module:attribute``, see
        ``strategy_reference``), so they run their own disk-cached kernels: keep a strategy in
        an importable module (e.g. ``mypkg/strategies.py``, installed or on the workers'
        ``PYTHONPATH``). A strategy defined in a script's ``__main__``, a notebook or a function
        cannot be imported and is pickled instead, which works but is slower: numba does not
        look up a pickled kernel in its disk cache, so each worker process compiles the
        strategy's kernels again on its first task (seconds to tens of seconds; the reused
        cluster keeps them for the next sweeps of that strategy object).
    connect_timeout : float
        Seconds to wait for the scheduler at ``address`` before giving up (a ``ParameterError``
        naming ``address``).
    periods : str
        Calendar period of the returns kept for PBO and the deflated Sharpe ratio.
    check_lookahead : bool
        Run :func:`soltrader.engine.validation.lookahead_check` on the best combination.
    progress : bool or None
        A progress bar on standard error (a widget in Jupyter): combinations done, rate and
        time left, advanced once per chunk (per trial with ``method="optuna"``), never inside
        the numba kernel. ``None`` (default) shows it only on a terminal or in Jupyter, once the
        sweep has run for a second; ``True`` always; ``False`` never. Results are the same
        either way.
    callback : callable, optional
        Called with ``(combination, stats)`` as results arrive (streaming).
    **space
        Strategy parameters and backtest keywords: a list / tuple / range / 1-D array / set
        (sorted) / Series (its values) is swept, anything else (or ``st.fixed(x)``, or a Series
        indexed like the bars) is fixed.

    Returns
    -------
    SweepResult
        A combination that never trades has a nan Sharpe ratio in the table and counts as a
        Sharpe ratio of 0 in the overfitting diagnostics (see ``SweepResult.flat``).

    Raises
    ------
    DataError
        Data without bars, or bars that break the schema.
    ParameterError
        An unknown keyword, an empty or unsatisfiable space, a bad setting, or a Dask
        ``address`` where no scheduler answers within ``connect_timeout``.

    Examples
    --------
    >>> import soltrader as st
    >>> res = st.sweep(bars, st.strategies.sma_cross, fast=range(10, 101, 10),
    ...                slow=range(50, 501, 50), sl_stop=0.02, fees=0.001, slippage=0.0005,
    ...                constraints="fast < slow")                      # doctest: +SKIP
    >>> res.best(), res.pbo.pbo, res.deflated_sharpe.dsr              # doctest: +SKIP
    """
    strategy = checked_strategy(strategy)
    progress = check_progress(progress)
    if method not in ("grid", "random", "optuna"):
        raise ParameterError("method", f"{method!r}: use 'grid', 'random' or 'optuna'")
    if executor not in ("local", "dask"):
        raise ParameterError("executor", f"{executor!r}: use 'local' or 'dask'")
    index = market_from(data).index
    if len(index) == 0:
        raise DataError("data: has no bars; a sweep needs at least 2", field="data")
    fixed_values, swept = split_space(strategy, space, index)
    if not swept:
        raise ParameterError(
            "space", "nothing to sweep: give at least one keyword a list, range or array of values"
        )
    maximize = metric not in MINIMISED if maximize is None else maximize
    if metric not in SUMMARY_FIELDS:
        raise ParameterError(
            "metric", f"{metric!r} is not a statistic; use one of {list(SUMMARY_FIELDS)}"
        )
    n_jobs = max(1, n_jobs or _cpu_count())
    calendar = period_index(index, periods)
    fused = False
    trials = None
    if method == "optuna":
        if not n_trials or n_trials < 1:
            raise ParameterError("n_trials", "method='optuna' needs n_trials >= 1")
        with progress_bar(progress, n_trials, desc="sweep (optuna)", unit="trial") as bar:
            pairs, trials = _optuna_combos(
                data,
                strategy,
                swept,
                fixed_values,
                calendar,
                n_trials,
                seed,
                metric,
                maximize,
                constraints,
                bar,
            )
        combos = [combo for combo, _ in pairs]
        chunks = [chunk for _, chunk in pairs]
        complete = True
    else:
        combos = apply_constraints(grid(swept), constraints)
        if method == "random":
            if not n_samples or n_samples < 1:
                raise ParameterError("n_samples", "method='random' needs n_samples >= 1")
            rng = np.random.default_rng(seed)
            pick = np.sort(rng.choice(len(combos), size=min(n_samples, len(combos)), replace=False))
            combos = [combos[i] for i in pick]
        if chunk_size is not None and chunk_size < 1:
            raise ParameterError("chunk_size", f"must be >= 1, got {chunk_size!r}")
        job = (data, strategy, combos, fixed_values, calendar, n_jobs, chunk_size)
        if executor == "local":
            chunks, complete, fused = _run_local(*job, progress, callback)
        else:
            timeout = _positive_seconds(connect_timeout)
            chunks, complete, fused = _run_dask(*job, address, timeout, progress, callback)
    result = _assemble(
        data, strategy, combos, chunks, list(swept), fixed_values, metric, maximize, calendar
    )
    result.complete = complete
    result.fused = fused
    result.trials = trials
    if check_lookahead and len(result.table) and not isinstance(data, Mapping):
        from soltrader.engine.validation import lookahead_check

        own = {k: v for k, v in result.best_params.items() if k in strategy.params}
        result.lookahead = lookahead_check(strategy, data, params=own, n_cuts=10, seed=0)
    return result


def _assemble(
    data, strategy, combos, chunks, names, fixed_values, metric, maximize, calendar: Periods
) -> SweepResult:
    """The table and the returns of the finished chunks (combinations in order)."""
    done = sum(c[0].shape[0] for c in chunks)
    combos = combos[:done]
    stats = np.concatenate([c[0] for c in chunks]) if chunks else np.empty((0, len(SUMMARY_FIELDS)))
    rets = np.concatenate([c[1] for c in chunks]) if chunks else np.empty((0, len(calendar.ends)))
    params = pd.DataFrame(combos, columns=names)
    table = pd.concat([params, pd.DataFrame(stats, columns=list(SUMMARY_FIELDS))], axis=1)
    table.index.name = "combination"
    returns = pd.DataFrame(rets.T, index=calendar.labels, columns=range(done))
    return SweepResult(
        table=table,
        returns=returns,
        params=names,
        fixed=fixed_values,
        metric=metric,
        maximize=maximize,
        data=data,
        strategy=strategy,
        combos=combos,
    )


def _cpu_count() -> int:
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
