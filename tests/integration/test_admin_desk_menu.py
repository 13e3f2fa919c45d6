"""The signed-in menu: the owner's sections in a few groups on one line, the accountant's
short menu as it is, the current page marked."""

import re

from consult.navigation import STAFF_GROUPS


def menu_of(page):
    return page.split('class="staff-nav staff-nav-wide"')[1].split("</nav>")[0]


def test_the_owners_menu_is_grouped_and_marks_where_she_is(client, auth):
    auth.login()
    wide = menu_of(client.get("/en/admin/bookings").text)
    outside_groups = re.sub(r"<details.*?</details>", "", wide, flags=re.S)
    top_level = wide.count('<li class="staff-group') + outside_groups.count("<li><a ")
    assert wide.count('<li class="staff-group') == len(STAFF_GROUPS)
    assert wide.count("<details") == len(STAFF_GROUPS)
    assert '<li class="staff-group staff-group-current">' in wide
    assert '<a href="/en/admin/bookings" aria-current="page">Bookings</a>' in wide
    # Dashboard, the groups and Account (any link standing alone is counted too).
    assert top_level <= 7
    for label in ("Calendar", "Speaking inquiries", "Ledger", "Audit log", "Account"):
        assert f">{label}</a>" in wide


def test_the_phone_menu_lists_the_same_links_under_one_button(client, auth):
    auth.login()
    page = client.get("/en/admin/").text
    narrow = page.split('class="staff-nav staff-nav-narrow"')[1].split("</nav>")[0]
    assert "<summary>Menu</summary>" in narrow
    assert narrow.count("<a href=") == menu_of(page).count("<a href=")


def test_the_accountants_short_menu_stays_flat(client, auth):
    auth.login(role="accountant")
    wide = menu_of(client.get("/en/accounting/").text)
    assert "<details" not in wide
    assert wide.count("<li><a ") == 3  # ledger, tax report, account
