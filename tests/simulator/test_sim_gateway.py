"""The simulated gateway over HTTP: signatures, error codes, actions, exact JSON numbers.

The AppID, body and signature of the first test are the published test vector of the vendor
document (``qianhub-openapi.zh.md``), not a credential.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

from etl.qianhub.auth import APP_HEADER, SIGN_HEADER, QianhubSigner
from etl.simulator import BOH_TYPES, DOC_TEST_APP_ID, QianhubSimulator, QianhubWorld

DAY = dt.date(2026, 11, 1)
DECODER = msgspec.json.Decoder(float_hook=Decimal)  # as a careful client decodes
DOC_BODY = b'{"version":"1.0","action":"qianhub.test","body":{"name":"Jack"}}'
DOC_SIGNATURE = (
    "1dc43b8c1d86ea048ee63a13becf93986a5464f261fe871f4550cdc68a9bdddbea66e0b17b2b659830762699b7"
    "3a7bfc676ce288233cc44b99afdb70898d2052d31d604664759cfa9ff25a85d3f35a8cf538cca9d491678c1e94"
    "b647efe3a265289224416321d4315a94a8e5b57fe4313336b692d57c19360a7ec1c865e9f808"
)


def window(day: dt.date = DAY, start_hour: int = 6, hours: int = 24) -> dict[str, str]:
    begin = dt.datetime.combine(day, dt.time(start_hour))
    end = begin + dt.timedelta(hours=hours)
    return {"begin": f"{begin:%Y-%m-%d %H:%M:%S}", "end": f"{end:%Y-%m-%d %H:%M:%S}"}


def error_of(response: httpx.Response) -> int:
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    payload = response.json()
    assert isinstance(payload["message"], str) and isinstance(payload["extra_message"], str)
    code = payload["error_code"]
    assert isinstance(code, int)
    return code


def doc_headers(signature: str = DOC_SIGNATURE) -> dict[str, str]:
    return {APP_HEADER: DOC_TEST_APP_ID, SIGN_HEADER: signature}


# -- signatures ---------------------------------------------------------------------------


def test_the_documents_test_vector_is_answered(simulator: QianhubSimulator) -> None:
    response = httpx.post(simulator.url, content=DOC_BODY, headers=doc_headers())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"name": "Jack"}


def test_a_tampered_body_fails_the_signature(simulator: QianhubSimulator) -> None:
    tampered = DOC_BODY.replace(b"Jack", b"Jacl")
    assert error_of(httpx.post(simulator.url, content=tampered, headers=doc_headers())) == 1001
    # Even whitespace counts: the signature covers the exact bytes.
    spaced = DOC_BODY.replace(b'"name":', b'"name": ')
    assert error_of(httpx.post(simulator.url, content=spaced, headers=doc_headers())) == 1001
    assert simulator.stats.rejected_signatures == 2


@pytest.mark.parametrize("signature", ["", "zz-not-hex", "00" * 128])
def test_missing_or_garbage_signatures_are_1001(
    simulator: QianhubSimulator, signature: str
) -> None:
    response = httpx.post(simulator.url, content=DOC_BODY, headers=doc_headers(signature))
    assert error_of(response) == 1001


def test_unknown_or_missing_app_is_1002(simulator: QianhubSimulator) -> None:
    headers = {APP_HEADER: "999999999999", SIGN_HEADER: DOC_SIGNATURE}
    assert error_of(httpx.post(simulator.url, content=DOC_BODY, headers=headers)) == 1002
    headers = {SIGN_HEADER: DOC_SIGNATURE}
    assert error_of(httpx.post(simulator.url, content=DOC_BODY, headers=headers)) == 1002


def test_signature_of_another_app_is_rejected(
    simulator: QianhubSimulator, signer: QianhubSigner
) -> None:
    # Signed with our key but claiming the document's app: the document's key must not verify.
    headers = {APP_HEADER: DOC_TEST_APP_ID, SIGN_HEADER: signer.sign(DOC_BODY)}
    assert error_of(httpx.post(simulator.url, content=DOC_BODY, headers=headers)) == 1001


# -- envelope and parameters --------------------------------------------------------------


def test_a_signed_body_that_is_not_json_is_1000(
    simulator: QianhubSimulator, signer: QianhubSigner
) -> None:
    raw = b"{not json"
    response = httpx.post(simulator.url, content=raw, headers=signer.headers(raw))
    assert error_of(response) == 1000
    assert response.json()["message"] == "系统错误"


def test_unknown_action_is_1004(simulator: QianhubSimulator, post: Any) -> None:
    assert error_of(post(simulator.url, "qianhub.agent.delete-everything", {})) == 1004


def shop_body(world: QianhubWorld, **overrides: Any) -> dict[str, Any]:
    body = {"shop_id": world.shop_ids()[0], "boh_types": ["cashier.finish"], **window()}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


BAD_PARAMETERS = {
    "shop_id missing": {"shop_id": None},
    "shop_id unknown": {"shop_id": 42},
    "shop_id as text": {"shop_id": "x"},
    "begin with slashes": {"begin": "2026/11/01 06:00:00"},
    "begin without seconds": {"begin": "2026-11-01 06:00"},
    "impossible date": {"end": "2026-13-45 25:61:00"},
    "begin equals end": {"begin": "2026-11-01 06:00:00", "end": "2026-11-01 06:00:00"},
    "begin after end": {"begin": "2026-11-02 06:00:00", "end": "2026-11-01 06:00:00"},
    "boh_types empty": {"boh_types": []},
    "boh_types not a list": {"boh_types": "cashier.finish"},
    "boh_type unknown": {"boh_types": ["cashier.finish", "bogus.type"]},
    "window too long": {"begin": "2020-01-01 00:00:00"},
}


@pytest.mark.parametrize("overrides", BAD_PARAMETERS.values(), ids=BAD_PARAMETERS.keys())
def test_bad_parameters_are_1003(
    simulator: QianhubSimulator, world: QianhubWorld, post: Any, overrides: dict[str, Any]
) -> None:
    body = shop_body(world, **overrides)
    if "shop_id" in overrides and overrides["shop_id"] is None:
        body.pop("shop_id", None)
    assert error_of(post(simulator.url, "qianhub.agent.batch-query", body)) == 1003


def test_bad_version_and_missing_body_are_1003(
    simulator: QianhubSimulator, signer: QianhubSigner
) -> None:
    for request in (
        {"version": "2.0", "action": "qianhub.test"},
        {"version": "1.0", "action": "qianhub.agent.query"},
    ):
        raw = msgspec.json.encode(request)
        assert error_of(httpx.post(simulator.url, content=raw, headers=signer.headers(raw))) == 1003


def test_only_post_on_the_gateway_path(simulator: QianhubSimulator) -> None:
    assert httpx.get(simulator.url).status_code == 405
    other = simulator.url.replace("/gateway", "/elsewhere")
    assert httpx.post(other, content=DOC_BODY, headers=doc_headers()).status_code == 404


# -- actions ------------------------------------------------------------------------------


def test_list_shop(simulator: QianhubSimulator, world: QianhubWorld, post: Any) -> None:
    response = post(simulator.url, "qianhub.agent.list-shop")
    assert response.status_code == 200
    shops = response.json()["shops"]
    expected = world.shops()
    assert [s["shop_id"] for s in shops] == world.shop_ids()
    for got, want in zip(shops, expected, strict=True):
        got.pop("latest_business_day")
        assert got == {k: v for k, v in want.items() if k != "latest_business_day"}


def test_batch_query_returns_the_world_exactly(
    simulator: QianhubSimulator, world: QianhubWorld, post: Any
) -> None:
    shop_id = world.shop_ids()[0]
    body = {"shop_id": shop_id, "boh_types": sorted(BOH_TYPES), **window()}
    response = post(simulator.url, "qianhub.agent.batch-query", body)
    assert response.status_code == 200
    records = DECODER.decode(response.content)
    expected = world.records(shop_id, BOH_TYPES, *world.rule.window(DAY))
    assert records == expected
    bills = [r["json"] for r in records if r["boh_type"] == "cashier.finish"]
    # Ids beyond 2**53 arrive as exact integers, digit for digit.
    for got, want in zip(
        bills, (r["json"] for r in expected if r["boh_type"] == "cashier.finish"), strict=True
    ):
        assert type(got["bill_id"]) is int and got["bill_id"] == want["bill_id"] > 2**53
        assert str(want["bill_id"]).encode() in response.content
        detail = got["orders"][0]["details"][0]
        assert type(detail["detail_id"]) is int
    # Money is a JSON number, never a string; amounts like 69.8 survive exactly.
    assert all(isinstance(b["paid"], int | Decimal) for b in bills)
    assert b'"paid":"' not in response.content


def test_query_returns_one_type(
    simulator: QianhubSimulator, world: QianhubWorld, post: Any
) -> None:
    shop_id = world.shop_ids()[1]
    body = {"shop_id": shop_id, "boh_type": "dayend.stat", **window(hours=48)}
    records = DECODER.decode(post(simulator.url, "qianhub.agent.query", body).content)
    assert records == [
        world.dayend(shop_id, DAY),
        world.dayend(shop_id, DAY + dt.timedelta(days=1)),
    ]
    waimai = {"shop_id": shop_id, "boh_type": "waimai.order", **window()}
    orders = DECODER.decode(post(simulator.url, "qianhub.agent.query", waimai).content)
    assert {r["boh_type"] for r in orders} == {"waimai.order"}
    # Each order is sent when placed and again in its final state; the last one is final.
    finals = {r["json"]["order"]: r["json"] for r in orders}
    assert list(finals.values()) == world.delivery_orders(shop_id, DAY)
    assert len(orders) == 2 * len(finals)
    assert all(o > 2**53 for o in finals)


def test_the_variant_shop_key_goes_out_as_is(
    simulator: QianhubSimulator, world: QianhubWorld, post: Any
) -> None:
    shop_id = world.shop_ids()[-1]
    body = {"shop_id": shop_id, "boh_types": ["cashier.finish"], **window(start_hour=12, hours=2)}
    response = post(simulator.url, "qianhub.agent.batch-query", body)
    assert response.content.startswith(f'[{{"shop_{shop_id}":{shop_id},'.encode())


def test_stats_count_requests_per_action(
    simulator: QianhubSimulator, world: QianhubWorld, post: Any
) -> None:
    post(simulator.url, "qianhub.agent.list-shop")
    post(simulator.url, "qianhub.agent.list-shop")
    post(simulator.url, "qianhub.agent.batch-query", shop_body(world))
    stats = simulator.stats
    assert stats.requests == {"qianhub.agent.list-shop": 2, "qianhub.agent.batch-query": 1}
    assert stats.faults == {} and stats.errors == {}


def test_concurrent_queries_get_their_own_answers(
    simulator: QianhubSimulator, world: QianhubWorld, post: Any
) -> None:
    shop_id = world.shop_ids()[2]
    days = [DAY + dt.timedelta(days=i) for i in range(8)]

    def fetch(day: dt.date) -> Any:
        body = {"shop_id": shop_id, "boh_types": ["cashier.finish"], **window(day)}
        return DECODER.decode(post(simulator.url, "qianhub.agent.batch-query", body).content)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(fetch, days))
    for day, records in zip(days, answers, strict=True):
        assert records == world.records(shop_id, ["cashier.finish"], *world.rule.window(day))
    assert simulator.stats.requests == {"qianhub.agent.batch-query": len(days)}
