"""The specs README's three MD5 vectors, verification, and the body encoder that feeds them."""

from __future__ import annotations

import decimal
import json

import pytest

from etl.pospal.auth import sign, verify
from etl.pospal.envelope import encode_body

VECTORS = [
    (
        "1234567890",
        b'{"appId":"abcdefghijklmn","sn":"201511121549168880001"}',
        "F6AA018FF7B01B2A5B1B1B4528914230",
    ),
    ("secret", b'{"appId":"shop","barcode":"123"}', "59C6243328E53DB5A6128CC572546D18"),
    (
        "1234567890",
        '{"appId":"abcdefghijklmn","remark":"收银测试"}'.encode(),
        "0F2E8BD872C306099E581876F483C874",
    ),
]


@pytest.mark.parametrize(("key", "body", "signature"), VECTORS)
def test_readme_vectors(key: str, body: bytes, signature: str) -> None:
    assert sign(key, body) == signature
    assert verify(key, body, signature)


def test_raw_utf8_vector_is_raw_bytes_and_escaped_form_signs_differently() -> None:
    raw = VECTORS[2][1]
    assert "收银测试".encode() in raw and b"\\u" not in raw
    escaped = b'{"appId":"abcdefghijklmn","remark":"\\u6536\\u94f6\\u6d4b\\u8bd5"}'
    assert json.loads(escaped) == json.loads(raw)  # the same JSON value ...
    assert sign("1234567890", escaped) != "0F2E8BD872C306099E581876F483C874"  # ... other bytes


@pytest.mark.parametrize(
    ("payload", "key", "signature"),
    [
        (
            {"appId": "abcdefghijklmn", "sn": "201511121549168880001"},
            "1234567890",
            "F6AA018FF7B01B2A5B1B1B4528914230",
        ),
        ({"appId": "shop", "barcode": "123"}, "secret", "59C6243328E53DB5A6128CC572546D18"),
        (
            {"appId": "abcdefghijklmn", "remark": "收银测试"},
            "1234567890",
            "0F2E8BD872C306099E581876F483C874",
        ),
    ],
)
def test_encoder_writes_the_vector_bytes(payload: dict[str, str], key: str, signature: str) -> None:
    body = encode_body(payload)
    assert body == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert sign(key, body) == signature


def test_verify_rejects_wrong_key_body_or_signature_and_ignores_hex_case() -> None:
    key, body, signature = VECTORS[0]
    assert verify(key, body, signature.lower())
    assert verify(key, body, f" {signature}\n")
    assert not verify("123456789", body, signature)
    assert not verify(key, body + b" ", signature)
    assert not verify(key, body, signature[:-1] + "1")
    assert not verify(key, body, "")
    assert not verify(key, body, "签名" * 16)


def test_encoder_keeps_big_ints_and_decimals_exact_and_refuses_floats() -> None:
    body = encode_body({"appId": "a", "uid": 12345678901234567890, "x": decimal.Decimal("1.50")})
    assert body == b'{"appId":"a","uid":12345678901234567890,"x":1.50}'
    with pytest.raises(TypeError, match="ids must be int"):
        encode_body({"appId": "a", "uid": 1.5089197043663081e18})
    with pytest.raises(TypeError):
        encode_body({"appId": "a", "nested": {"list": [1, 2.0]}})
