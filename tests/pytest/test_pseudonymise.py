"""The keyed hash that replaces identifiers at ingest is HMAC-SHA256 (RFC 2104), byte for byte."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from workforce_warehouse.pseudonymise import Pseudonymiser, _keyed_hash


@pytest.mark.parametrize("length", [32, 63, 64, 65, 200])
def test_the_keyed_hash_is_hmac_sha256_for_keys_shorter_and_longer_than_a_block(length):
    key = bytes((7 * i + length) % 256 for i in range(length))
    for message in ("", "local|E09000022|001-000123", "swe|SW0000012345", "é" * 40, "x" * 200):
        assert _keyed_hash(key, message) == hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def test_a_known_answer():
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    assert _keyed_hash(b"Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    pseudo = Pseudonymiser(b"Jefe")
    assert pseudo.local("E1", "7") == hmac.new(b"Jefe", b"local|E1|7", hashlib.sha256).hexdigest()
    assert pseudo.swe(None) is None
