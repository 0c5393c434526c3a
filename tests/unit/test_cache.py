"""One numba cache for every process: the default folder, the override, and a kernel compiled
by one process loaded by another started elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from soltrader._cache import cache_dir, default_cache_dir

ROOT = Path(__file__).resolve().parents[2]

# prints where numba caches, and how many functions the call compiled (numba's event API)
PROBE = """
import json, os, sys
{before}
import soltrader as st
import numpy as np
from numba.core import config, event
compiled = []
class Count(event.Listener):
    def on_start(self, ev):
        compiled.append(1)
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())
st.indicators.sma(np.arange(50.0), 5)
print(json.dumps({{"env": os.environ["NUMBA_CACHE_DIR"], "numba": config.CACHE_DIR,
                  "compiled": len(compiled)}}))
"""


def _probe(cwd: Path, env: dict[str, str], before: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    return env


def test_the_default_folder_is_the_users_cache_folder() -> None:
    assert default_cache_dir().parts[-2:] == ("soltrader", "numba")
    assert cache_dir().is_absolute()


def test_two_processes_in_different_folders_share_one_cache(tmp_path, clean_env) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    first = _probe(a, clean_env)
    second = _probe(b, clean_env)
    expected = str(tmp_path / "xdg" / "soltrader" / "numba")
    assert first["env"] == second["env"] == first["numba"] == expected
    assert first["compiled"] > 0  # an empty cache: the kernel compiles
    assert second["compiled"] == 0  # the other process's kernel, from the disk cache
    assert any(Path(expected).rglob("*.nbi"))


def test_numba_imported_first_still_uses_the_shared_folder(tmp_path, clean_env) -> None:
    got = _probe(tmp_path, clean_env, before="import numba")
    assert got["numba"] == str(tmp_path / "xdg" / "soltrader" / "numba")


def test_a_relative_override_is_made_absolute(tmp_path, clean_env) -> None:
    got = _probe(tmp_path, {**clean_env, "NUMBA_CACHE_DIR": "here"})
    assert got["env"] == got["numba"] == str(tmp_path / "here")


def test_warmup_path_and_clear(tmp_path, clean_env) -> None:
    where = tmp_path / "cache"
    env = {**clean_env, "NUMBA_CACHE_DIR": str(where), "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "soltrader.cli", "warmup"]
    shown = subprocess.run([*cli, "--path"], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == str(where)
    (where / "x").mkdir(parents=True)
    cleared = subprocess.run(
        [*cli, "--clear", "--clear-only"], env=env, capture_output=True, text=True, check=True
    )
    assert f"cleared {where}" in cleared.stdout
    assert not where.exists()
