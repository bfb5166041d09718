"""Load units end to end (fetch -> land raw -> flatten -> upsert), one module per vendor.
Plain Python: the CLI's replay and the Dagster assets both call these functions."""
