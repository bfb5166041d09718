"""Every WHALE action's request body against the document's own example: the request is built
from the example's values, encoded, and compared as JSON. The document's examples are quoted
below with only their JSON syntax repaired (missing commas, Java ``123L`` literals); where an
example leaves out a field its table marks required, or names a field differently from the
table, the test says so and adds or renames exactly that."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from etl.whale import (
    ActivityInsert,
    BuyGetValue,
    ChannelConfig,
    CreateRule,
    FieldError,
    LimitItem,
    LimitValue,
    NotifyQuery,
    SaleChannelInsert,
    SendChannelConfig,
    SendChannelInsert,
    TemplateInsert,
    WeekTimeValue,
    prepare,
    rule_value,
)
from etl.whale.models import encode

CONFIG = {
    "channelPublicKey": "publicKey",
    "whalePublicKey": "publlicKey",
    "verifyNotifyURL": "www.baidu.com",
}
TIMES = {"createTime": "20180905112600", "updateTime": "20180905112600"}

DOC_ACTIVITY: dict[str, Any] = {
    "activityName": "中信电子凭证活动",
    "ebuyActivityId": "2018090500",
    "saleChannelId": "10002401",
    "validStart": "20180905112600",
    "validEnd": "20181005112600",
    "createUser": "xiedonglei",
    "createTime": "20180905112600",
    "activityConfig": CONFIG,
}
DOC_SALE_CHANNEL: dict[str, Any] = {
    "sendChannelName": "中信银行",
    "isActive": "Y",
    "remark": "备注信息",
    "saleChannelConfig": CONFIG,
}
DOC_SEND_CHANNEL: dict[str, Any] = {
    "sendChannelName": "资和信",
    "isActive": "Y",
    "sendChannelConfig": {
        "thirdChannelNo": "M000001545",
        "makeCodeURL": "www.baidu.com",
        "verifyURL": "www.baidu.com",
        "verifyNotifyURL": "www.baidu.com",
    },
}
DOC_TEMPLATE: dict[str, Any] = {
    "templateName": "COSTA30元代金券",
    "sendChannelId": 123,
    "brandId": 686,
    "productId": 12345,
    "ticketType": 1,
    "sendType": 1,
    "faceValue": "000000003000",
    "isActive": "Y",
    "remark": "备注信息",
    "createUser": "xiedonglei",
    "templateConfig": CONFIG,
}
DOC_NOTIFY_QUERY = {"saleChannelOrderId": "20180905000"}


def body(request: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(encode(request))
    return decoded


def test_activity_insert_matches_the_example() -> None:
    request = ActivityInsert(
        activityName="中信电子凭证活动",
        ebuyActivityId="2018090500",
        saleChannelId="10002401",
        validStart="20180905112600",
        validEnd="20181005112600",
        createUser="xiedonglei",
        createTime="20180905112600",
        updateTime="20180905112600",  # required by the table, absent from the example
        activityConfig=ChannelConfig(**CONFIG),
    )
    assert body(request) == {**DOC_ACTIVITY, "updateTime": "20180905112600"}
    # Table order, compact, Chinese unescaped: the exact bytes that are sent (and signed).
    assert encode(request).startswith(
        '{"activityName":"中信电子凭证活动","ebuyActivityId"'.encode()
    )
    assert prepare(request).path == "/activityInsert"


def test_sale_channel_insert_matches_the_example_with_the_tables_field_name() -> None:
    request = SaleChannelInsert(
        saleChannelName="中信银行",
        isActive="Y",
        remark="备注信息",
        saleChannelConfig=ChannelConfig(**CONFIG),
        **TIMES,
    )
    # The example writes sendChannelName (copied from the make-code channel); the table's
    # field for a sale channel is saleChannelName.
    expected = {k: v for k, v in DOC_SALE_CHANNEL.items() if k != "sendChannelName"}
    assert body(request) == {"saleChannelName": "中信银行", **expected, **TIMES}
    assert prepare(request).path == "/saleChanneInsert"  # sic, the document's action


def test_send_channel_insert_equals_the_example_exactly() -> None:
    request = SendChannelInsert(
        sendChannelName="资和信",
        isActive="Y",
        sendChannelConfig=SendChannelConfig(
            thirdChannelNo="M000001545",
            makeCodeURL="www.baidu.com",
            verifyURL="www.baidu.com",
            verifyNotifyURL="www.baidu.com",
        ),
    )
    assert body(request) == DOC_SEND_CHANNEL
    assert prepare(request).path == "/sendChanneInsert"


def test_template_insert_matches_the_example() -> None:
    request = TemplateInsert(
        templateName="COSTA30元代金券",
        sendChannelId=123,
        brandId=686,
        productId=12345,
        ticketType=1,
        faceValue="000000003000",
        sendType=1,
        isActive="Y",
        remark="备注信息",
        createUser="xiedonglei",
        templateConfig=ChannelConfig(**CONFIG),
        **TIMES,  # required by the table, absent from the example
    )
    assert body(request) == {**DOC_TEMPLATE, **TIMES}
    assert body(request)["faceValue"] == "000000003000"  # 30 yuan in fen, as a 12-char string


def test_notify_query_and_retry_equal_the_example() -> None:
    request = NotifyQuery(saleChannelOrderId="20180905000")
    assert body(request) == DOC_NOTIFY_QUERY
    assert prepare(request, action="makeNotifyRetry").path == "/makeNotifyRetry"
    assert (
        prepare(request, action="makeNotifyQuery").body == b'{"saleChannelOrderId":"20180905000"}'
    )


def test_create_rule_from_the_table_with_typed_rule_values() -> None:
    # The document has no example ("暂无"): this one is built from its field tables.
    limit = LimitValue(
        limitWay="Q",
        limitType="W",
        binPrefixNum=6,
        limitItems=[
            LimitItem(
                limitKey="622562",
                limitMaxDay=1,
                limitMaxWeek=0,
                limitMaxMonth=5,
                limitMaxYear=0,
                limitMaxTotal=0,
                startTime="20261101000000",
                endTime="20261231235959",
            )
        ],
    )
    request = CreateRule(
        ruleScenceKey="activity",
        ruleSceneItemKey="2018090500",
        ruleScene="makeCode",
        ruleName="中信卡bin日限1张",
        ruleKey="CardBinLimit",
        ruleValue=rule_value(limit),
        startTime="20261101000000",
        endTime="20261231235959",
        messageTpl="该卡今日已领取",
        isActive="Y",
        isContinue="N",
        ruleOrder=0,
    )
    assert body(request) == {
        "ruleScenceKey": "activity",
        "ruleSceneItemKey": "2018090500",
        "ruleScene": "makeCode",
        "ruleName": "中信卡bin日限1张",
        "ruleKey": "CardBinLimit",
        "ruleValue": {
            "limitWay": "Q",
            "limitType": "W",
            "binPrefixNum": 6,
            "limitItems": [
                {
                    "limitKey": "622562",
                    "limitMaxDay": 1,
                    "limitMaxWeek": 0,
                    "limitMaxMonth": 5,
                    "limitMaxYear": 0,
                    "limitMaxTotal": 0,
                    "startTime": "20261101000000",
                    "endTime": "20261231235959",
                }
            ],
        },
        "startTime": "20261101000000",
        "endTime": "20261231235959",
        "messageTpl": "该卡今日已领取",
        "isActive": "Y",
        "isContinue": "N",
        "ruleOrder": 0,
    }
    buy_get = rule_value(BuyGetValue(limitMinAmount=Decimal("100.00"), amountOff=Decimal("20.50")))
    rule = CreateRule(
        ruleScenceKey="template",
        ruleScene="verify",
        ruleName="满100减20.5",
        ruleKey="BuyGet",
        ruleValue=buy_get,
        startTime="20261101000000",
        endTime="20261201000000",
        messageTpl="不满足满减条件",
    )
    # BigDecimal amounts go out as exact JSON numbers, never via float.
    assert b'"ruleValue":{"limitMinAmount":100.00,"amountOff":20.50}' in encode(rule)
    assert rule_value(WeekTimeValue(weekDay="0111110", times="090000120000")) == {
        "weekDay": "0111110",
        "times": "090000120000",
    }


@pytest.mark.parametrize(
    ("request_factory", "field"),
    [
        (
            lambda: ActivityInsert(
                **{**DOC_ACTIVITY, "activityConfig": None, "activityName": "券" * 100, **TIMES}
            ),
            "activityName",
        ),
        (
            lambda: ActivityInsert(
                **{**DOC_ACTIVITY, "activityConfig": None, "ebuyActivityId": "9" * 40, **TIMES}
            ),
            "ebuyActivityId",
        ),
        (
            lambda: ActivityInsert(
                **{
                    **DOC_ACTIVITY,
                    "activityConfig": None,
                    "createTime": "2018-09-05",
                    "updateTime": "20180905112600",
                }
            ),
            "createTime",
        ),
        (lambda: SaleChannelInsert(saleChannelName="x" * 100, **TIMES), "saleChannelName"),
        (
            lambda: SendChannelInsert(sendChannelName="", sendChannelConfig=SendChannelConfig()),
            "sendChannelName",
        ),
        (
            lambda: TemplateInsert(
                **{**DOC_TEMPLATE, "templateConfig": None, "faceValue": "3000", **TIMES}
            ),
            "faceValue",
        ),
        (
            lambda: TemplateInsert(
                **{**DOC_TEMPLATE, "templateConfig": None, "ticketType": 5, **TIMES}
            ),
            "ticketType",
        ),
        (
            lambda: TemplateInsert(
                **{**DOC_TEMPLATE, "templateConfig": None, "isActive": "yes", **TIMES}
            ),
            "isActive",
        ),
        (lambda: NotifyQuery(saleChannelOrderId="1" * 64), "saleChannelOrderId"),
    ],
)
def test_field_rules_are_checked_before_sending(request_factory: Any, field: str) -> None:
    with pytest.raises(FieldError, match=rf"\$\.{field}"):
        encode(request_factory())


def test_lengths_are_fewer_than_the_documented_limit() -> None:
    # "小于100个字符": 99 characters pass, 100 do not; "小于64个字符" likewise for order ids.
    ok = SaleChannelInsert(saleChannelName="x" * 99, **TIMES)
    assert body(ok)["saleChannelName"] == "x" * 99
    assert body(NotifyQuery(saleChannelOrderId="1" * 63)) == {"saleChannelOrderId": "1" * 63}
    with pytest.raises(FieldError):
        encode(SaleChannelInsert(saleChannelName="x" * 100, **TIMES))
