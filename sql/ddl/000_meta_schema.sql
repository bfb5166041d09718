-- Bookkeeping shared by every vendor: load log, rejects, Parquet sync queue. (DuckDB cannot comment on schemas.)
CREATE SCHEMA IF NOT EXISTS meta;
