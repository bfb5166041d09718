"""Starting a simulator that a test stops with Ctrl-C (SIGINT), as a user would."""

from __future__ import annotations

import signal


def ctrl_c_works() -> None:
    """``preexec_fn`` of the simulator process: SIGINT back to its default. A shell starts
    background commands with SIGINT ignored (``pytest &``, nohup in a runner script), Python
    keeps an inherited ignore, and the test's Ctrl-C would then never reach the simulator."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
