"""Taxes: GST and QST each on the pre-tax amount, rounded half up, never one combined rate."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from consult.payments.taxes import Tax, compute, profile_from_settings, split_total, tax_cents

QUEBEC = profile_from_settings(
    [
        {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "123 RT0001"},
        {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "456 TQ0001"},
    ]
)


def half_up(cents, rate):
    # The rule restated from first principles: exact product, then nearest cent, .5 up.
    exact = Decimal(cents) * Decimal(rate)
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def test_every_amount_from_one_cent_to_999_99_follows_the_rule():
    for cents in range(1, 100_000):
        breakdown = compute(cents, QUEBEC)
        gst, qst = breakdown.lines
        assert gst.cents == half_up(cents, "0.05"), cents
        assert qst.cents == half_up(cents, "0.09975"), cents
        assert breakdown.total_cents == cents + gst.cents + qst.cents


def test_two_taxes_are_not_one_combined_rate():
    # $0.10: GST 0.5 -> 1 cent, QST 0.9975 -> 1 cent: 2 cents, where 14.975 % gives 1.
    breakdown = compute(10, QUEBEC)
    assert breakdown.tax_cents == 2
    assert half_up(10, "0.14975") == 1


def test_the_flagship_price():
    breakdown = compute(25_000, QUEBEC)
    assert [line.cents for line in breakdown.lines] == [1250, 2494]
    assert breakdown.total_cents == 28_744


def test_half_a_cent_rounds_up():
    assert tax_cents(10, Decimal("0.05")) == 1  # 0.5 cent
    assert tax_cents(30, Decimal("0.05")) == 2  # 1.5 cents


def test_refund_amounts_round_symmetrically():
    assert tax_cents(-10, Decimal("0.05")) == -1


def test_untaxed_offers_and_empty_profiles_have_no_tax():
    assert compute(5000, QUEBEC, taxable=False).total_cents == 5000
    assert compute(5000, ()).lines == ()


def test_a_consultant_elsewhere_sets_her_own_tax():
    ontario = (Tax("HST", "HST", Decimal("0.13"), "789 RT0001"),)
    assert compute(10_000, ontario).total_cents == 11_300


@pytest.mark.parametrize("total", [1, 2, 3, 14_372, 28_743, 28_744])
def test_a_partial_refund_splits_into_parts_that_add_up(total):
    original = compute(25_000, QUEBEC)
    part = split_total(-total, original.lines, original.subtotal_cents)
    assert part.total_cents == -total
    assert part.subtotal_cents + sum(line.cents for line in part.lines) == -total


def test_a_full_refund_reverses_each_tax_exactly():
    original = compute(25_000, QUEBEC)
    part = split_total(-original.total_cents, original.lines, original.subtotal_cents)
    assert part.subtotal_cents == -25_000
    assert [line.cents for line in part.lines] == [-1250, -2494]
