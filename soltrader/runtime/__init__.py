"""soltrader.runtime: the composition root of the thin live loop (see ARCHITECTURE.md).

* :mod:`soltrader.runtime.runner`: closed bars → candle check → the decision core
  (:class:`~soltrader.engine.paper.PaperLoop`) → journal → kill switch; restart from the journal;
* :mod:`soltrader.runtime.journal`: the SQLite (WAL) journal, one writer, one transaction per bar;
* :mod:`soltrader.runtime.app`: what ``soltrader live`` / ``status`` / ``halt`` / ``resume`` /
  ``control`` run (replay server, feed, signals, redaction);
* :mod:`soltrader.runtime.control`: operator requests to a running runner;
* :mod:`soltrader.runtime.secrets`: redaction of secrets from logs and errors.

Nothing is imported here, so ``import soltrader`` never pulls in asyncio, aiohttp or sqlite3.
"""
