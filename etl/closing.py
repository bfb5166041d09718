"""``with`` support for objects that hold a connection pool: one definition instead of the same
``__enter__``/``__exit__`` in every client."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """A context manager that calls :meth:`close` on exit (subclasses implement ``close``)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
