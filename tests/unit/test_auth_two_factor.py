"""TOTP codes and recovery codes: pure functions, tested without an app."""

import time

import pyotp

from consult.auth import two_factor


def test_a_code_from_this_or_a_neighbouring_step_is_accepted_once():
    secret = two_factor.new_secret()
    now = time.time()
    totp = pyotp.TOTP(secret)
    step = two_factor.accepted_step(secret, totp.at(now), None, now)
    assert step == totp.timecode(now)
    assert two_factor.accepted_step(secret, totp.at(now), step, now) is None  # replayed
    assert two_factor.accepted_step(secret, totp.at(now + 30), step, now) == step + 1
    assert two_factor.accepted_step(secret, totp.at(now - 90), None, now) is None  # too old


def test_malformed_codes_are_refused_without_error():
    secret = two_factor.new_secret()
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert two_factor.accepted_step(secret, code, None, time.time()) is None
    assert two_factor.accepted_step(None, "123456", None, time.time()) is None


def test_spaces_in_a_typed_code_are_ignored():
    secret = two_factor.new_secret()
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    assert two_factor.accepted_step(secret, f"{code[:3]} {code[3:]}", None, now) is not None


def test_each_recovery_code_is_spent_once_however_it_is_typed():
    codes, hashes = two_factor.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    left = two_factor.use_recovery_code(hashes, codes[2].lower().replace("-", " "))
    assert left is not None and len(left) == 9
    assert two_factor.use_recovery_code(left, codes[2]) is None
    assert two_factor.use_recovery_code(left, "ZZZZZ-ZZZZZ") is None
    assert two_factor.use_recovery_code(left, "short") is None


def test_the_qr_code_is_an_inline_svg_without_styles_or_scripts():
    uri = two_factor.provisioning_uri(two_factor.new_secret(), "owner@example.org", "Consult")
    assert uri.startswith("otpauth://totp/Consult:owner%40example.org?secret=")
    svg = two_factor.qr_svg(uri)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style" not in svg and "script" not in svg
