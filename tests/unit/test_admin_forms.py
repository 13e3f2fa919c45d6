"""Amounts typed in dollars become exact cents; anything else is refused, never guessed."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

from consult.admin.forms import DollarsField, format_dollars


class AmountForm(Form):
    amount = DollarsField()


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("150", 15000),
        ("150.00", 15000),
        ("150,5", 15050),
        ("0.07", 7),
        ("$1 234,56", 123456),
        ("49,99 $", 4999),
        ("", None),
    ],
)
def test_dollars_typed_the_canadian_ways_become_cents(typed, cents):
    form = AmountForm(MultiDict({"amount": typed}))
    form.validate()
    assert form.amount.data == cents
    assert form.amount.errors == []


@pytest.mark.parametrize("typed", ["12.345", "douze", "-5", "1e3", "12.3.4"])
def test_anything_else_is_refused(typed):
    form = AmountForm(MultiDict({"amount": typed}))
    assert not form.validate()
    assert form.amount.data is None
    assert form.amount.errors


def test_cents_are_shown_back_as_dollars():
    assert format_dollars(28744) == "287.44"
    assert format_dollars(5) == "0.05"
    assert AmountForm(data={"amount": 9550}).amount._value() == "95.50"
