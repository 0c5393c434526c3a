"""Token screener: hand counts on a fixture universe, errors, pandas == polars, invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from soltrader.domain.errors import DataError, ParameterError
from soltrader.strategies.screener import RULES, screen

UNIVERSE = Path(__file__).resolve().parents[1] / "golden" / "strategies" / "screener_universe.csv"

# Hand count of the fixture (30 tokens) under the default rules: age >= 3 days, liquidity >=
# 50,000 USD, 24h volume >= 100,000 USD, holders >= 1,000, |24h change| <= 50 %.
FAILS = {
    "min_age_days": ["ONYXPUFFIN", "PEARLSHRIKE", "QUARTZIBIS", "ASHQUOKKA", "BRINEGECKO",
                     "DRIFTEGRET"],
    "min_liquidity": ["RUSTMARTEN", "SABLEWASP", "TEALBISON", "ASHQUOKKA", "BRINEGECKO",
                      "CLOVERYAK"],
    "min_volume_24h": ["UMBERSKATE", "VELVETGNAT", "CLOVERYAK"],
    "min_holders": ["WILLOWTAPIR", "XENONSLOTH", "ASHQUOKKA", "BRINEGECKO"],
    "max_abs_change": ["YARROWDINGO", "ZINCMARLIN", "DRIFTEGRET"],
}  # fmt: skip
APPROVED = [
    "AMBERFOX", "BLUEHERON", "COPPERKITE", "DUSKMOTH", "EMBERWREN", "FROSTLYNX", "GLASSEEL",
    "HAZELBOAR", "IVORYCRAB", "JADEMANTIS", "KELPRAVEN", "LUMENOTTER", "MOSSVIPER", "NIMBUSGOAT",
]  # fmt: skip


@pytest.fixture(scope="module")
def universe() -> pd.DataFrame:
    return pd.read_csv(UNIVERSE, comment="#")


def test_hand_counts_on_the_fixture(universe) -> None:
    res = screen(universe)
    assert len(universe) == 30
    assert res.tradable["token"].tolist() == APPROVED
    assert res.approval_rate == 14 / 30
    assert res.rejections == {rule: len(tokens) for rule, tokens in FAILS.items()}
    assert res.rejections == {
        "min_age_days": 6,
        "min_liquidity": 6,
        "min_volume_24h": 3,
        "min_holders": 4,
        "max_abs_change": 3,
    }
    for rule, tokens in FAILS.items():
        assert res.rejected_by(rule) == tokens
    # 22 rejections over 16 rejected tokens: ASHQUOKKA and BRINEGECKO fail three rules each
    assert sum(res.rejections.values()) == 22 and (~res.approved).sum() == 16
    assert res.tradable.index.tolist() == list(range(14))  # original index kept
    summary = res.summary()
    assert summary.loc["min_holders", "rejected"] == 4
    assert summary.loc["min_holders", "share"] == pytest.approx(4 / 30)


def test_thresholds_are_inclusive_and_none_switches_a_rule_off(universe) -> None:
    # GLASSEEL sits exactly on every threshold and passes
    assert "GLASSEEL" in screen(universe).tradable["token"].tolist()
    res = screen(universe, min_age_days=None, max_abs_change=None)
    assert set(res.rejections) == {"min_liquidity", "min_volume_24h", "min_holders"}
    # without the age and change rules: ONYXPUFFIN, PEARLSHRIKE, QUARTZIBIS, the two movers and
    # DRIFTEGRET come back
    assert res.approval_rate == 20 / 30
    strict = screen(universe, min_liquidity=1e6, min_holders=50_000)
    assert strict.tradable["token"].tolist() == ["AMBERFOX", "BLUEHERON", "KELPRAVEN", "MOSSVIPER"]


def test_age_from_listing_time_with_an_explicit_now(universe) -> None:
    now = pd.Timestamp("2025-10-10 12:00", tz="UTC")
    listed = universe.drop(columns="age_days").assign(
        listed_at=now - pd.to_timedelta(universe["age_days"], unit="D")
    )
    res = screen(listed, now=now)
    assert res.tradable["token"].tolist() == APPROVED
    assert res.rejected_by("min_age_days") == FAILS["min_age_days"]
    naive = screen(listed.assign(listed_at=listed["listed_at"].dt.tz_localize(None)), now=now)
    assert naive.approval_rate == res.approval_rate
    with pytest.raises(DataError, match=r"listed_at.*row 0.*after now"):
        screen(listed, now=now - pd.Timedelta(days=500))
    with pytest.raises(DataError, match="missing column 'listed_at'"):
        screen(universe, now=now)
    with pytest.raises(DataError, match="'listed_at' is not a time"):
        screen(listed.assign(listed_at="soon"), now=now)
    with pytest.raises(ParameterError, match="now"):
        screen(listed, now="not a time")


def test_polars_and_pandas_agree(universe) -> None:
    pdr = screen(universe, min_holders=2_000)
    plr = screen(pl.read_csv(UNIVERSE, comment_prefix="#"), min_holders=2_000)
    assert isinstance(plr.tradable, pl.DataFrame)
    assert plr.tradable["token"].to_list() == pdr.tradable["token"].tolist()
    assert plr.rejections == pdr.rejections
    assert plr.approval_rate == pdr.approval_rate
    np.testing.assert_array_equal(plr.approved, pdr.approved)
    pd.testing.assert_frame_equal(
        plr.tradable.to_pandas(), pdr.tradable.reset_index(drop=True), check_dtype=False
    )


@pytest.mark.parametrize("column", [r.column for r in RULES.values()] + ["token"])
def test_missing_column_names_it(universe, column) -> None:
    with pytest.raises(DataError, match=f"missing column '{column}'") as err:
        screen(universe.drop(columns=column))
    assert err.value.field == column


def test_nan_and_out_of_domain_values_name_the_row(universe) -> None:
    bad = universe.copy()
    bad.loc[7, "liquidity_usd"] = np.nan
    with pytest.raises(DataError, match=r"'liquidity_usd' at row 7 \(token 'HAZELBOAR'\)") as err:
        screen(bad)
    assert (err.value.row, err.value.field, err.value.code) == (7, "liquidity_usd", "nan")
    # the same hole in a rule that is switched off is not read
    assert screen(bad, min_liquidity=None).n_universe == 30
    hole = pl.when(pl.col("token") == "KELPRAVEN").then(None).otherwise(pl.col("holders"))
    polars_bad = pl.from_pandas(universe).with_columns(hole.alias("holders"))
    with pytest.raises(DataError, match=r"'holders' at row 10 \(token 'KELPRAVEN'\)"):
        screen(polars_bad)
    crash = universe["price_change_24h"].mask(universe.index == 2, -1.5)
    with pytest.raises(DataError, match=r"'price_change_24h' at row 2.*below -1"):
        screen(universe.assign(price_change_24h=crash))
    with pytest.raises(DataError, match="'volume_24h_usd' must be numeric"):
        screen(universe.assign(volume_24h_usd="lots"))
    with pytest.raises(DataError, match="token 'AMBERFOX' at row 30 appears twice"):
        screen(pd.concat([universe, universe.iloc[:1]]))
    with pytest.raises(DataError, match="no rows"):
        screen(universe.iloc[:0])


@pytest.mark.parametrize("name", list(RULES))
def test_bad_thresholds_are_parameter_errors(universe, name) -> None:
    for value in (-1.0, float("nan")):
        with pytest.raises(ParameterError) as err:
            screen(universe, **{name: value})
        assert err.value.name == name
    with pytest.raises(ParameterError, match="universe"):
        screen(universe.to_dict())


row = hs.fixed_dictionaries(
    {
        "age_days": hs.floats(0.0, 1000.0),
        "liquidity_usd": hs.floats(0.0, 1e8),
        "volume_24h_usd": hs.floats(0.0, 1e8),
        "holders": hs.integers(0, 10**6),
        "price_change_24h": hs.floats(-1.0, 10.0),
    }
)
thresholds = hs.fixed_dictionaries(
    {
        "min_age_days": hs.one_of(hs.none(), hs.floats(0.0, 1000.0)),
        "min_liquidity": hs.one_of(hs.none(), hs.floats(0.0, 1e8)),
        "min_volume_24h": hs.one_of(hs.none(), hs.floats(0.0, 1e8)),
        "min_holders": hs.one_of(hs.none(), hs.integers(0, 10**6)),
        "max_abs_change": hs.one_of(hs.none(), hs.floats(0.0, 10.0)),
    }
)


@given(hs.lists(row, min_size=1, max_size=40), thresholds)
def test_tradable_is_a_subset_and_the_rate_is_its_share(rows, limits) -> None:
    universe = pd.DataFrame(rows).assign(token=[f"T{i}" for i in range(len(rows))])
    res = screen(universe, **limits)
    assert set(res.tradable["token"]) <= set(universe["token"])
    pd.testing.assert_frame_equal(
        res.tradable, universe[universe["token"].isin(res.tradable["token"])]
    )
    assert res.approval_rate == len(res.tradable) / len(universe)
    for rule, count in res.rejections.items():
        col = universe[RULES[rule].column]
        fails = col.abs() > limits[rule] if rule == "max_abs_change" else col < limits[rule]
        assert count == int(fails.sum())
    assert len(res.tradable) == len(universe) - int((~res.approved).sum())
    assert sum(res.rejections.values()) >= len(universe) - len(res.tradable)
    polars = screen(pl.from_pandas(universe), **limits)
    assert polars.rejections == res.rejections and polars.approval_rate == res.approval_rate
