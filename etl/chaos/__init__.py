"""Chaos runs: the loader under every simulated fault, and killed with SIGKILL mid-load.

``python -m etl.chaos`` (``make chaos``) runs the fault matrix (:mod:`etl.chaos.matrix`) and the
kill trials (:mod:`etl.chaos.kills`), writes ``docs/reliability.md`` (:mod:`etl.chaos.report`)
and ends with ``chaos: trials=<n> failures=<k> rows_compared=<r> kills=<j>``.

Nothing is imported here on purpose: the loader imports :mod:`etl.chaos.hooks` at its kill
points, and this package's other modules import the loader.
"""
