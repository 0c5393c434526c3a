"""Parameter sweeps: grids, seeded random samples and Bayesian search (optuna) over a strategy's
parameters and any backtest keyword, run in parallel, with overfitting diagnostics attached.

Every combination is a complete :func:`soltrader.engine.backtest`, so a sweep row and
``st.backtest`` of that combination are the same computation; ``SweepResult.backtest(row)``
re-runs one as a full :class:`~soltrader.engine.Result`. Combinations run in threads (the numba
kernels release the GIL), or on a Dask cluster with ``executor="dask"``. The table is ordered by
combination whatever the execution, so serial, parallel, chunked and distributed runs give
identical tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

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
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependencyError(
            "executor='dask' needs dask.distributed: pip install 'soltrader[dist]'"
        ) from exc
    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = _connect(Client, address, timeout)
    chunks = _chunks(combos, size or _default_chunk(len(combos), n_jobs, False))
    bar = _progress(len(combos), progress)
    fused = fused_plan(data, strategy, combos[:1], fixed_values) is not None
    try:
        shared = client.scatter(data, broadcast=True)
        futures = [
            client.submit(evaluate_chunk, shared, strategy, c, fixed_values, periods, 1, pure=False)
            for c in chunks
        ]
        results = []
        for chunk, fut in zip(chunks, futures, strict=True):
            results.append(fut.result())
            _advance(bar, callback, chunk, results[-1])
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    return results, True, fused


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
        Threads (``executor="local"``, default: the number of CPUs) or Dask workers.
    chunk_size : int, optional
        Combinations per chunk; progress, streaming and Ctrl-C act between chunks (default: fused
        runs, at least 64 per thread and about ten chunks; generic runs, about 4 tasks per
        worker).
    executor : {"local", "dask"}
        Where chunks run; ``"dask"`` uses a ``LocalCluster`` unless ``address`` names a running
        scheduler (e.g. ``"tcp://10.0.0.5:8786"``).
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
    import os

    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
