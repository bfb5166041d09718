"""The WHALE e-voucher admin API (ERP → WHALE): settings, request/answer models, client.

Only what the document defines, everything it leaves open (host, authentication, the
verification query's action name, the URL layout) configurable: see :mod:`.settings`.
"""

from etl.whale.client import PreparedRequest, WhaleClient, parse_notification, prepare
from etl.whale.envelope import WhaleAuthError, WhaleRejected, WhaleUnexpectedAnswer
from etl.whale.models import (
    ActivityInsert,
    AdminAnswer,
    BuyGetValue,
    ChannelConfig,
    CreateRule,
    FieldError,
    LimitItem,
    LimitValue,
    Notification,
    NotifyQuery,
    SaleChannelInsert,
    SendChannelConfig,
    SendChannelInsert,
    TemplateInsert,
    WeekTimeValue,
    rule_value,
)
from etl.whale.settings import WhaleSettings, read_order_ids

__all__ = [
    "ActivityInsert",
    "AdminAnswer",
    "BuyGetValue",
    "ChannelConfig",
    "CreateRule",
    "FieldError",
    "LimitItem",
    "LimitValue",
    "Notification",
    "NotifyQuery",
    "PreparedRequest",
    "SaleChannelInsert",
    "SendChannelConfig",
    "SendChannelInsert",
    "TemplateInsert",
    "WeekTimeValue",
    "WhaleAuthError",
    "WhaleClient",
    "WhaleRejected",
    "WhaleSettings",
    "WhaleUnexpectedAnswer",
    "parse_notification",
    "prepare",
    "read_order_ids",
    "rule_value",
]
