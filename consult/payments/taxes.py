"""Sales taxes from a tax profile: each tax on the pre-tax amount, rounded half up to the cent.

Québec's GST (5 %) and QST (9.975 %) are two separate taxes, never one 14.975 % rate:
rounding each on its own can differ by a cent from rounding the sum.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Tax:
    code: str
    name: str
    rate: Decimal
    registration: str = ""


@dataclass(frozen=True)
class TaxLine:
    code: str
    name: str
    rate: Decimal
    registration: str
    cents: int

    def as_dict(self):
        return {
            "code": self.code,
            "name": self.name,
            "rate": str(self.rate),
            "registration": self.registration,
            "cents": self.cents,
        }


@dataclass(frozen=True)
class Breakdown:
    subtotal_cents: int
    lines: tuple[TaxLine, ...]

    @property
    def tax_cents(self):
        return sum(line.cents for line in self.lines)

    @property
    def total_cents(self):
        return self.subtotal_cents + self.tax_cents


def profile_from_settings(entries):
    """Build the tax profile from the TAXES setting: [{code, name, rate, registration}]."""
    return tuple(
        Tax(
            code=entry["code"],
            name=entry.get("name", entry["code"]),
            rate=Decimal(str(entry["rate"])),
            registration=entry.get("registration", ""),
        )
        for entry in entries
    )


def tax_cents(subtotal_cents, rate):
    """One tax on a pre-tax amount in cents, rounded half up (half away from zero)."""
    return int((Decimal(subtotal_cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute(subtotal_cents, profile, taxable=True):
    """The taxes on `subtotal_cents` (negative for a refund) under `profile`."""
    if not taxable:
        return Breakdown(subtotal_cents, ())
    return Breakdown(
        subtotal_cents,
        tuple(
            TaxLine(
                tax.code, tax.name, tax.rate, tax.registration, tax_cents(subtotal_cents, tax.rate)
            )
            for tax in profile
        ),
    )


def split_total(total_cents, lines, subtotal_cents):
    """Share a partial amount (a partial refund) out over the original subtotal and taxes.

    Each tax gets its proportional share rounded half up; the subtotal takes the rest,
    so the parts always add up to `total_cents` exactly.
    """
    original_total = subtotal_cents + sum(line.cents for line in lines)
    if original_total == 0:
        return Breakdown(total_cents, ())
    ratio = Decimal(total_cents) / Decimal(original_total)
    shared = tuple(
        TaxLine(
            line.code,
            line.name,
            line.rate,
            line.registration,
            int((Decimal(line.cents) * ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        )
        for line in lines
    )
    return Breakdown(total_cents - sum(line.cents for line in shared), shared)


def lines_from_dicts(entries):
    """TaxLines back from their stored form (TaxLine.as_dict(), e.g. a booking's tax_lines)."""
    return tuple(
        TaxLine(
            entry["code"],
            entry.get("name", entry["code"]),
            Decimal(str(entry["rate"])),
            entry.get("registration", ""),
            int(entry["cents"]),
        )
        for entry in entries
    )


def refund_split(amount_cents, original, remaining):
    """The subtotal and taxes given back by refunding `amount_cents` of a payment.

    `original` is the payment's Breakdown, `remaining` what earlier refunds left of it
    (same tax codes). Refunding all that remains gives back exactly the remaining taxes;
    a partial refund shares the amount in the payment's own proportions, then moves the
    odd cents so that neither the subtotal nor any tax goes past what remains of it. So
    a series of refunds gives back each tax exactly once, to the cent.
    """
    if amount_cents == remaining.total_cents:
        return remaining
    shared = split_total(amount_cents, original.lines, original.subtotal_cents)
    left = {line.code: line.cents for line in remaining.lines}
    cents = {line.code: max(0, min(line.cents, left.get(line.code, 0))) for line in shared.lines}
    subtotal = amount_cents - sum(cents.values())
    # Too much on the subtotal: the taxes take the excess, up to what remains of each.
    for code in cents:
        excess = subtotal - remaining.subtotal_cents
        if excess <= 0:
            break
        moved = min(excess, left.get(code, 0) - cents[code])
        cents[code] += moved
        subtotal -= moved
    # Taxes rounded past the amount itself: they give the cents back, last tax first.
    for code in reversed(list(cents)):
        if subtotal >= 0:
            break
        moved = min(-subtotal, cents[code])
        cents[code] -= moved
        subtotal += moved
    return Breakdown(
        subtotal,
        tuple(
            TaxLine(line.code, line.name, line.rate, line.registration, cents[line.code])
            for line in shared.lines
        ),
    )
