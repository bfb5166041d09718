"""The WHALE e-voucher admin messages as msgspec Structs, field names exactly as documented.

Requests (ERP → WHALE) are encoded in the document's table order with unset optional fields
left out. :func:`validate` checks them before anything is sent: the document's "小于N个字符"
is taken literally (fewer than N characters, so at most N-1), times are ``yyyyMMddHHmmss``,
flags ``Y``/``N``, ``faceValue`` twelve digits of fen. msgspec checks ``Meta`` constraints only
when decoding, so validation is a round trip through :func:`msgspec.convert`.

Where the document contradicts itself the table wins, except where the table row is visibly a
copy of another (see the README's WHALE section):

* ``saleChanneInsert`` / ``sendChanneInsert`` (sic) are the document's action names.
* the sale-channel example writes ``sendChannelName``; the table says ``saleChannelName``.
* ``templateInsert.sendType``: the table row is a copy of ``templateName`` ("String, 券模板名称"),
  the example and the remark ("1:接口,2:批导") make it a number like ``ticketType``: an int here.
* the answers of the three channel/template inserts are a copy of an unrelated POS answer; only
  ``returnCode`` (and ``returnMsg``/``returnDesc`` when present) is read.
* the make-code query answer example lacks ``notifyId``, ``updateDate``, ``updateTime`` (all
  "required") and has ``requestId`` (not in the table): those four are optional here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec
from msgspec import Meta, Struct

Text = Annotated[str, Meta(min_length=1)]
Name100 = Annotated[str, Meta(min_length=1, max_length=99)]  # 小于100个字符
Id40 = Annotated[str, Meta(min_length=1, max_length=39)]  # 小于40个字符
OrderId64 = Annotated[str, Meta(min_length=1, max_length=63)]  # 小于64个字符
Str64 = Annotated[str, Meta(min_length=1, max_length=64)]  # String(64)
Stamp14 = Annotated[str, Meta(pattern=r"^[0-9]{14}$")]  # yyyyMMddHHmmss
Date8 = Annotated[str, Meta(pattern=r"^[0-9]{8}$")]  # yyyyMMdd
YesNo = Annotated[str, Meta(pattern=r"^[YN]$")]
Fen12 = Annotated[str, Meta(pattern=r"^[0-9]{12}$")]  # 12位字符串,分为单位
Long = Annotated[int, Meta(ge=0, le=2**63 - 1)]
Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]

SUCCESS = "00"


class _Request(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    action: ClassVar[str]


# --- configuration objects ---------------------------------------------------------------


class ChannelConfig(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """``activityConfig`` / ``saleChannelConfig`` / ``templateConfig`` (same three fields in
    every example). The keys are public keys, not secrets."""

    channelPublicKey: str | None = None
    whalePublicKey: str | None = None
    verifyNotifyURL: str | None = None


class SendChannelConfig(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """``sendChannelConfig`` of a make-code channel."""

    thirdChannelNo: str | None = None
    makeCodeURL: str | None = None
    verifyURL: str | None = None
    verifyNotifyURL: str | None = None


# --- set-up actions ------------------------------------------------------------------------


class ActivityInsert(_Request, kw_only=True):
    """新增活动 (``activityInsert``): bind an ERP 3.0 activity to an e-voucher activity."""

    action: ClassVar[str] = "activityInsert"
    activityName: Name100
    ebuyActivityId: Id40
    saleChannelId: Text
    validStart: Stamp14
    validEnd: Stamp14
    isActive: YesNo | None = None
    createUser: str | None = None
    createTime: Stamp14
    updateTime: Stamp14
    activityConfig: ChannelConfig | None = None


class SaleChannelInsert(_Request, kw_only=True):
    """新增销售渠道 (``saleChanneInsert``, sic): a new third party that takes codes (取码方)."""

    action: ClassVar[str] = "saleChanneInsert"
    saleChannelName: Name100
    isActive: YesNo | None = None
    remark: str | None = None
    creatorName: str | None = None
    createTime: Stamp14
    updateTime: Stamp14
    saleChannelConfig: ChannelConfig | None = None


class SendChannelInsert(_Request, kw_only=True):
    """新增制码渠道 (``sendChanneInsert``, sic): a new third party that makes codes (制码方)."""

    action: ClassVar[str] = "sendChanneInsert"
    sendChannelName: Name100
    isActive: YesNo | None = None
    sendChannelConfig: SendChannelConfig


class TemplateInsert(_Request, kw_only=True):
    """新增券模板 (``templateInsert``): one voucher template per 易百 productId."""

    action: ClassVar[str] = "templateInsert"
    templateName: Text
    sendChannelId: Long
    brandId: Long
    productId: Long
    # 1 代金券 (cash voucher), 2 折抵券, 3 产品抵用券, 4 复合产品券
    ticketType: Annotated[int, Meta(ge=1, le=4)]
    faceValue: Fen12
    sendType: Annotated[int, Meta(ge=1, le=2)]  # 1 接口 (API), 2 批导 (batch import)
    isActive: YesNo | None = None
    remark: str | None = None
    createUser: str | None = None
    createTime: Stamp14
    updateTime: Stamp14
    templateConfig: ChannelConfig | None = None


class CreateRule(_Request, kw_only=True):
    """规则创建 (``createRule``). ``ruleValue`` is a JSON object whose shape depends on
    ``ruleKey``: build it from :class:`BuyGetValue`, :class:`LimitValue` or
    :class:`WeekTimeValue` with :func:`rule_value`. ``ruleScenceKey`` (sic) is the document's."""

    action: ClassVar[str] = "createRule"
    ruleScenceKey: Text
    ruleSceneItemKey: str | None = None
    ruleScene: Text
    ruleName: Text
    ruleKey: Text
    ruleValue: dict[str, Any]
    startTime: Text
    endTime: Text
    messageTpl: Text
    isActive: YesNo | None = None
    isContinue: YesNo | None = None
    ruleOrder: int | None = None


class BuyGetValue(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """``ruleValue`` of a BuyGet rule; amounts are exact decimals (yuan)."""

    codeConfigList: str | None = None
    codeType: str | None = None
    checkExpression: str | None = None
    returnExpression: str | None = None
    limitMinAmount: Decimal | None = None
    amountOff: Decimal | None = None
    discountOff: Decimal | None = None
    superposition: int | None = None
    fixedAmount: Decimal | None = None
    setMealFixedAmount: Decimal | None = None
    sort: str | None = None
    isMerchant: str | None = None
    faceValue: Decimal | None = None
    netValue: Decimal | None = None
    netRadio: Decimal | None = None
    reduceValue: Decimal | None = None
    cashierCode: str | None = None


class LimitItem(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """限量明细: one limited key; 0 means unlimited."""

    limitKey: Text
    limitMaxDay: Count
    limitMaxWeek: Count
    limitMaxMonth: Count
    limitMaxYear: Count
    limitMaxTotal: Count
    startTime: Stamp14
    endTime: Stamp14


class LimitValue(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """``ruleValue`` of ScenceLimit / ActivityLimit / CardBinLimit / CardNoLimit / CityLimit /
    PosTidLimit: Q(uantity) or A(mount), W(hite) or B(lack) list."""

    limitWay: Annotated[str, Meta(pattern=r"^[QA]$")]
    limitType: Annotated[str, Meta(pattern=r"^[WB]$")]
    retained: str | None = None
    binPrefixNum: int | None = None
    binSuffixNum: int | None = None
    description: str | None = None
    limitItems: list[LimitItem]


class WeekTimeValue(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """``ruleValue`` of WeekTime: ``weekDay`` seven 0/1 flags Sunday first, ``times`` 12-digit
    HHmmssHHmmss ranges joined by commas."""

    weekDay: Annotated[str, Meta(pattern=r"^[01]{7}$")]
    times: Annotated[str, Meta(pattern=r"^[0-9]{12}(,[0-9]{12})*$")] | None = None


class NotifyQuery(_Request, kw_only=True):
    """制码通知查询 / 重试 / 核销通知查询: one sale-channel order id per call (分表位)."""

    action: ClassVar[str] = "makeNotifyQuery"
    saleChannelOrderId: OrderId64


SETUP_ACTIONS: dict[str, type[_Request]] = {
    cls.action: cls
    for cls in (ActivityInsert, SaleChannelInsert, SendChannelInsert, TemplateInsert, CreateRule)
}
MAKE_NOTIFY_QUERY = "makeNotifyQuery"
MAKE_NOTIFY_RETRY = "makeNotifyRetry"


# --- answers -------------------------------------------------------------------------------


class AdminAnswer(Struct, kw_only=True):
    """The answer of a set-up action: ``returnCode`` "00" is success."""

    returnCode: str
    returnMsg: str | None = None
    returnDesc: str | None = None

    @property
    def message(self) -> str | None:
        return self.returnMsg if self.returnMsg is not None else self.returnDesc


class Notification(Struct, kw_only=True):
    """A make-code (制码) or verification (核销) notification of one sale-channel order.
    ``returnCode`` here is the *order's* result: "00" succeeded, anything else failed."""

    notifyId: str | None = None
    orderId: Text
    requestId: str | None = None
    saleChannelId: Long
    saleChannelOrderId: Text
    createDate: Date8
    createTime: Stamp14
    orderMobile: str | None = None
    codeNum: Count
    orderExtend: str | None = None
    isNotify: Text  # 已通知 / 未通知
    isCanVoid: Text  # 可撤销 / 不可撤销
    returnCode: Annotated[str, Meta(min_length=1, max_length=2)]
    updateDate: Date8 | None = None
    updateTime: Stamp14 | None = None
    status: str

    @property
    def succeeded(self) -> bool:
        return self.returnCode == SUCCESS


# --- WHALE → ESB make-code (the simulator plays both sides) -----------------------------------


class EsbMakeCodeRequest(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """WHALE's synchronous make-code call to ESB, fields as the document's table. The document's
    example (``saleChannelOrderId``, ``notifyType``, ``item``) does not match its table and
    ``makeOrderItems`` is not defined, so each item is kept as a JSON object.
    ``orderEncryptKey`` is a key: never log this request."""

    saleChannelId: Text
    sendChannelId: Text
    sendChannelOrderId: Str64
    whaleTradeNo: Str64
    channelMid: Text
    channelTid: Text
    orderEncryptKey: Text
    createDate: Date8
    createTime: Stamp14
    items: list[dict[str, Any]]


class EsbMakeCodeAnswer(Struct, kw_only=True):
    returnCode: str
    returnMsg: str | None = None
    data: dict[str, Any] | None = None


# --- helpers -------------------------------------------------------------------------------

_ENCODER = msgspec.json.Encoder(decimal_format="number")
R = TypeVar("R", bound=Struct)


class FieldError(ValueError):
    """A request field breaks the document's rules; the message names the field."""


def validate(request: R) -> R:
    """``request`` if every field meets the document's rules, else :class:`FieldError`."""
    try:
        return msgspec.convert(
            msgspec.to_builtins(request, builtin_types=(Decimal,)), type(request), strict=True
        )
    except msgspec.ValidationError as exc:
        raise FieldError(f"{type(request).__name__}: {exc}") from None


def encode(request: Struct) -> bytes:
    """The exact request bytes: compact JSON, UTF-8 unescaped, the document's field order."""
    return _ENCODER.encode(validate(request))


def rule_value(value: BuyGetValue | LimitValue | WeekTimeValue) -> dict[str, Any]:
    """A typed rule content as the JSON object ``CreateRule.ruleValue`` carries."""
    built: dict[str, Any] = msgspec.to_builtins(validate(value), builtin_types=(Decimal,))
    return built


def build(cls: type[R], data: dict[str, Any]) -> R:
    """A request from JSON-like data (a CLI file), validated; unknown fields are refused."""
    try:
        return validate(msgspec.convert(data, cls, strict=False))
    except msgspec.ValidationError as exc:
        raise FieldError(f"{cls.__name__}: {exc}") from None
