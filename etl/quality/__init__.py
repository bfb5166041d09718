"""Data-quality queries (unique keys, orphans, vendor totals) returning plain results; the
Dagster checks only wrap them."""
