"""DuckDB + Parquet warehouse: schema from sql/ddl, staged upserts in one transaction per load
unit, and a Parquet lake rewritten atomically for the partitions a load touched."""

from etl.warehouse.fingerprint import TableFingerprint, fingerprints
from etl.warehouse.meta import LoadUnit, new_load_id
from etl.warehouse.store import LoadResult, Warehouse

__all__ = ["LoadResult", "LoadUnit", "TableFingerprint", "Warehouse", "fingerprints", "new_load_id"]
