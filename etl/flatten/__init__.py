"""Vendor documents -> Arrow tables (:class:`etl.batch.FlatBatch`), one module per vendor."""

from etl.flatten.qianhub import (
    SUPPORTED_BOH_TYPES,
    flatten_batch_bodies,
    flatten_shops,
)
from etl.flatten.qianhub_tables import (
    BATCH_ENTITIES,
    BATCH_SCHEMAS,
    BILLS_ENTITY,
    DAYEND_STATS_ENTITY,
    HANDOVER_STATS_ENTITY,
    QIANHUB_ENTITIES,
    SHOP_SCHEMAS,
    SHOPS_ENTITY,
)

__all__ = [
    "BATCH_ENTITIES",
    "BATCH_SCHEMAS",
    "BILLS_ENTITY",
    "DAYEND_STATS_ENTITY",
    "HANDOVER_STATS_ENTITY",
    "QIANHUB_ENTITIES",
    "SHOPS_ENTITY",
    "SHOP_SCHEMAS",
    "SUPPORTED_BOH_TYPES",
    "flatten_batch_bodies",
    "flatten_shops",
]
