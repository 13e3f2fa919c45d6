"""Taxes given back by refunds: proportional, exact to the cent, never more than was paid."""

import itertools
import random

from consult.payments.taxes import (
    Breakdown,
    TaxLine,
    compute,
    lines_from_dicts,
    profile_from_settings,
    refund_split,
)

QUEBEC = profile_from_settings(
    [
        {"code": "GST", "name": "TPS/GST", "rate": "0.05", "registration": "123 RT0001"},
        {"code": "QST", "name": "TVQ/QST", "rate": "0.09975", "registration": "456 TQ0001"},
    ]
)


def minus(remaining, given):
    """What is left after giving `given` back from `remaining`."""
    back = {line.code: line.cents for line in given.lines}
    return Breakdown(
        remaining.subtotal_cents - given.subtotal_cents,
        tuple(
            TaxLine(
                line.code,
                line.name,
                line.rate,
                line.registration,
                line.cents - back.get(line.code, 0),
            )
            for line in remaining.lines
        ),
    )


def test_half_of_the_flagship_gives_back_half_of_each_tax():
    paid = compute(25_000, QUEBEC)
    half = refund_split(14_372, paid, paid)
    assert half.total_cents == 14_372
    assert [line.cents for line in half.lines] == [625, 1247]
    assert half.subtotal_cents == 12_500


def test_refunding_what_remains_gives_back_exactly_the_remaining_taxes():
    paid = compute(25_000, QUEBEC)
    first = refund_split(10_001, paid, paid)
    left = minus(paid, first)
    last = refund_split(left.total_cents, paid, left)
    assert last == left
    assert first.subtotal_cents + last.subtotal_cents == 25_000
    for a, b, whole in zip(first.lines, last.lines, paid.lines, strict=True):
        assert a.cents + b.cents == whole.cents


#: Taxes heavier than the price itself: rounding each share up could pass the amount.
HEAVY = profile_from_settings(
    [{"code": "A", "rate": "0.55"}, {"code": "B", "rate": "0.65"}, {"code": "C", "rate": "0.005"}]
)


def test_any_series_of_partial_refunds_returns_each_tax_exactly_once():
    rng = random.Random(20261126)
    for profile, price in itertools.product((QUEBEC, HEAVY), (1, 3, 10, 333, 9_999, 25_000)):
        paid = compute(price, profile)
        for _ in range(40):
            remaining = paid
            while remaining.total_cents:
                amount = rng.randint(1, remaining.total_cents)
                given = refund_split(amount, paid, remaining)
                assert given.total_cents == amount
                remaining = minus(remaining, given)
                assert remaining.subtotal_cents >= 0, (price, amount)
                assert all(line.cents >= 0 for line in remaining.lines), (price, amount)
            assert all(line.cents == 0 for line in remaining.lines)


def test_every_split_of_a_small_payment_adds_up():
    paid = compute(30, QUEBEC)  # 30 + 2 + 3 = 35 cents
    for first, second in itertools.product(range(1, 35), repeat=2):
        given = refund_split(first, paid, paid)
        left = minus(paid, given)
        if second > left.total_cents:
            continue
        again = refund_split(second, paid, left)
        assert again.total_cents == second
        assert all(line.cents >= 0 for line in minus(left, again).lines)


def test_tax_lines_come_back_from_their_stored_form():
    lines = compute(25_000, QUEBEC).lines
    assert lines_from_dicts([line.as_dict() for line in lines]) == lines


def test_taxes_rounded_up_never_add_up_to_more_than_the_refund():
    # Two half-cent shares each round up to a cent: together more than the 1 cent refunded.
    paid = Breakdown(0, tuple(TaxLine(code, code, 0, "", 1) for code in ("A", "B")))
    given = refund_split(1, paid, paid)
    assert given.subtotal_cents == 0
    assert [line.cents for line in given.lines] == [1, 0]
