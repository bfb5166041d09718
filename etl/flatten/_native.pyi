# Types of the C extension etl/flatten/native/ (see module.c for what each returns).
from collections.abc import Sequence

SOURCE_HASH: str

Column = tuple[int, bytes | None, bytes, bytes | None, bytes | None, int]

def flatten(
    bodies: Sequence[bytes], day_start_us: int, /
) -> tuple[int, dict[str, tuple[int, list[Column]]], bytes] | None: ...
def tables() -> dict[str, list[tuple[str, str]]]: ...
def shapes() -> dict[str, list[tuple[str, str, bool]]]: ...
