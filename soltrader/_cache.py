"""Where soltrader's compiled numba kernels are kept: one cache for every process of a user.

Numba compiles a kernel on its first call and, with ``cache=True``, keeps the machine code on
disk so that the next process loads it in milliseconds. Numba's own default is a
``__pycache__`` folder beside each source file, or the folder ``NUMBA_CACHE_DIR`` names. A shell
that sets ``NUMBA_CACHE_DIR`` and a notebook that does not would then compile the same kernels
twice, each paying the first-call wait.

So ``import soltrader`` sets ``NUMBA_CACHE_DIR`` to :func:`default_cache_dir` when it is unset,
and every process that imports soltrader (the CLI, a notebook, the tests, ``make``, Dask workers
started from it) shares one cache. Set ``NUMBA_CACHE_DIR`` yourself to keep it elsewhere; it
then applies to every process you start with it, and to your own ``cache=True`` kernels, as it
always does in numba. ``soltrader warmup`` fills the cache ahead of the first run.

Numba checks a cached kernel against its own source file only: after editing a kernel that
others call (a development checkout), clear the cache (``soltrader warmup --clear``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The environment variable numba reads for its cache folder.
ENV = "NUMBA_CACHE_DIR"


def default_cache_dir() -> Path:
    """The per-user cache folder soltrader uses when ``NUMBA_CACHE_DIR`` is unset.

    Returns
    -------
    Path
        ``<user cache dir>/soltrader/numba``: ``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
        ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows (``platformdirs``).

    Examples
    --------
    >>> default_cache_dir().parts[-2:]
    ('soltrader', 'numba')
    """
    from platformdirs import user_cache_path

    return user_cache_path("soltrader", appauthor=False) / "numba"


def cache_dir() -> Path:
    """The folder the numba kernels of this process are cached in: ``NUMBA_CACHE_DIR`` when it
    is set (as :func:`use_shared_cache` sets it), else :func:`default_cache_dir`.

    Examples
    --------
    >>> import os
    >>> cache_dir() == Path(os.environ.get("NUMBA_CACHE_DIR") or default_cache_dir()).absolute()
    True
    """
    value = os.environ.get(ENV)
    return Path(value).absolute() if value else default_cache_dir().absolute()


def use_shared_cache() -> Path:
    """Point numba at the shared cache unless ``NUMBA_CACHE_DIR`` is set, and return the folder.

    A relative ``NUMBA_CACHE_DIR`` is made absolute, so that a process started in another folder
    (a notebook's kernel, a CLI it runs) finds the same cache. Numba reads the variable again
    before each compilation, so this works whether or not numba was imported first.

    Examples
    --------
    >>> use_shared_cache() == cache_dir()
    True
    """
    path = cache_dir()
    if os.environ.get(ENV) != str(path):
        os.environ[ENV] = str(path)
        config = sys.modules.get("numba.core.config")
        if config is not None:
            config.reload_config()
    return path
