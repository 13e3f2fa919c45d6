"""The accountant reaches the books and nothing else; the owner reaches the books too."""

import re

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import BuildError

from consult.auth.access import ACCOUNTANT, PUBLIC
from consult.extensions import db
from tests.factories import make_sample_books, sign_in

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}
#: Values tried for a rule's arguments: ids, tokens, and the words any() converters expect.
SAMPLE_VALUES = ("1", "x", "fr", "pay")


def table_counts():
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def url_of(app, rule):
    """A concrete URL for a rule, with sample values for its arguments."""
    with app.test_request_context():
        for sample in SAMPLE_VALUES:
            values = {arg: sample for arg in rule.arguments if arg != "lang"}
            try:
                return url_for(rule.endpoint, lang="fr", **values)
            except (BuildError, ValueError):  # any() converters refuse other words
                continue
    raise AssertionError(f"cannot build a URL for {rule.endpoint}")


def routes_closed_to_the_accountant(app):
    for rule in app.url_map.iter_rules():
        allowed = app.view_functions[rule.endpoint].access
        if PUBLIC in allowed or ACCOUNTANT in allowed:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_other_private_route_refuses_the_accountant_and_changes_nothing(client, auth, app):
    with app.app_context():
        make_sample_books(db.session)
    auth.login(role=ACCOUNTANT)
    with app.app_context():
        before = table_counts()
    closed = list(routes_closed_to_the_accountant(app))
    assert closed, "the owner has routes of her own"
    for rule, method in closed:
        response = client.open(url_of(app, rule), method=method, data={"anything": "1"})
        assert response.status_code == 403, (rule.rule, method)
    with app.app_context():
        assert table_counts() == before


def test_the_accountant_reaches_the_ledger_exports_tax_report_and_every_receipt(client, app):
    with app.app_context():
        books = make_sample_books(db.session)
    sign_in(app, client, ACCOUNTANT)
    assert client.get("/fr/accounting/", query_string=NOVEMBER).status_code == 200
    assert client.get("/fr/accounting/export.csv", query_string=NOVEMBER).status_code == 200
    assert client.get("/fr/accounting/taxes").status_code == 200
    for number in books.values():
        assert client.get(f"/fr/accounting/receipts/{number}").status_code == 200


@pytest.mark.parametrize("role", ["owner", "accountant"])
def test_the_desk_is_in_the_menu_of_both_roles(client, app, role):
    sign_in(app, client, role)
    html = client.get("/en/accounting/").text
    # The page she is on is marked as the current one (aria-current).
    assert re.search(r'<a href="/en/accounting/"(?: aria-current="page")?>Ledger</a>', html)
    assert re.search(
        r'<a href="/en/accounting/taxes"(?: aria-current="page")?>Tax report</a>', html
    )


def test_the_owner_sees_the_accountants_pages(client, app):
    with app.app_context():
        books = make_sample_books(db.session)
    sign_in(app, client, "owner")
    assert client.get("/en/accounting/", query_string=NOVEMBER).status_code == 200
    assert client.get("/en/accounting/export.csv", query_string=NOVEMBER).status_code == 200
    assert client.get("/en/accounting/taxes").status_code == 200
    assert client.get(f"/en/accounting/receipts/{books['stripe']}").status_code == 200


def test_the_desk_is_never_cached(client, app):
    sign_in(app, client, ACCOUNTANT)
    for path in ("/en/accounting/", "/en/accounting/taxes", "/en/accounting/export.csv"):
        cache_control = client.get(path).headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path
