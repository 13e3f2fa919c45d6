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
