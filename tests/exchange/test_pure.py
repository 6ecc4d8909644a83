"""The exchange's pure parts: masks, Digest, the city signature (the published test vector),
GA/T 1400 identifiers."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.adapters.city import city_sign
from exchange.digest import digest_authorization, digest_expected_response, parse_challenge
from exchange.gat1400_ids import OBJECT_ID_LENGTH, device_id, is_device_id, object_id
from exchange.masking import mask_id_number, mask_name, mask_phone, minimise


def test_masks_keep_what_an_officer_matches_by_eye():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("+8613800001234") == "138****1234"
    assert mask_id_number("110101199003071234") == "110***********1234"


@given(st.text(min_size=11, max_size=18, alphabet="0123456789X"))
def test_a_masked_id_number_never_shows_the_birth_date(value):
    masked = mask_id_number(value)
    assert masked[3:-4] == "*" * (len(value) - 7)  # the birth date (characters 7–14) never shows
    assert len(masked) == len(value)


def test_minimise_keeps_only_granted_fields_and_refuses_an_unknown_mask():
    payload = {"person_name": "张三", "person_phone": "13800001234", "unit": "101", "secret": "x"}
    out = minimise(payload, fields=["person_name", "unit"], masked={"person_name": "name"})
    assert out == {"person_name": "张*", "unit": "101"}
    with pytest.raises(KeyError):
        minimise(payload, fields=["person_name"], masked={"person_name": "nmae"})


def test_digest_header_matches_rfc_2617_worked_example():
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    header = digest_authorization(
        challenge=challenge,
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle Of Life",
        cnonce="0a4f113b",
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    params = parse_challenge(header)
    assert (
        digest_expected_response(params=params, method="GET", password="Circle Of Life") == params["response"]
    )


def test_city_signature_test_vector():
    # The vector published in docs/exchange-city-push.md.
    body = b'{"records":[{"category":"statistics","data":{"date":"2026-12-01"},"recordId":"sunshine-1"}]}'
    # Computed independently with: printf '%s' '0f1e2d3c20261202093000<body>' | openssl dgst -sha256 -hmac demo-secret
    assert city_sign(secret="demo-secret", tran_id="0f1e2d3c", req_time="20261202093000", body=body) == (
        "4abeac124d5108fd8054043279163149448d8f3f4bffd72b34aeae41e6f39a8b"
    )


def test_gat1400_ids_have_the_standard_lengths():
    dev = device_id(area_code="330102", sequence=1)
    assert len(dev) == 20 and is_device_id(dev)
    oid = object_id(device=dev, at=dt.datetime(2026, 12, 2, 9, 30), sequence=123456, kind="motor_vehicle")
    assert len(oid) == OBJECT_ID_LENGTH
    assert oid.startswith(dev + "02" + "20261202093000")
    with pytest.raises(ValueError):
        device_id(area_code="000000")
