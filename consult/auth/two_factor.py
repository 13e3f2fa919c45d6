"""TOTP two-factor sign-in and single-use recovery codes (pyotp, argon2); no Flask here."""

import secrets

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: How many recovery codes a person gets at a time.
RECOVERY_CODE_COUNT = 10
#: Codes typed from paper: no 0/O/1/I/L, grouped in two halves of five.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

#: Recovery codes carry about 50 random bits, unlike passwords people choose: a light
#: argon2 profile is enough, and keeps checking a code against ten hashes quick.
_hasher = PasswordHasher(time_cost=1, memory_cost=16 * 1024, parallelism=1)


def new_secret():
    return pyotp.random_base32()


def provisioning_uri(secret, account, issuer):
    """The otpauth:// address authenticator apps read (from the QR code or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri):
    """The URI as an inline <svg> QR code: no network, no script, no style attribute."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff")


def accepted_step(secret, code, last_step, at):
    """The time step `code` belongs to (now, or one step either side for clock drift).

    None when the code is wrong or its step was already used: a code works once.
    """
    code = "".join(code.split())
    # isascii: full-width digits pass isdigit() but compare_digest refuses them (a 500).
    if not secret or not (code.isascii() and code.isdigit()) or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count=RECOVERY_CODE_COUNT):
    """Fresh codes to show once, and the argon2 hashes to store."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes, [_hasher.hash(_normalize(code)) for code in codes]


def use_recovery_code(hashes, code):
    """The hashes left once `code` is spent, or None when it matches none of them."""
    typed = _normalize(code)
    if len(typed) != 10:
        return None
    for index, stored in enumerate(hashes):
        try:
            _hasher.verify(stored, typed)
        except (VerificationError, InvalidHashError):
            continue
        return hashes[:index] + hashes[index + 1 :]
    return None


def _normalize(code):
    return "".join(ch for ch in code.upper() if ch.isalnum())
