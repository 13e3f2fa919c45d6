"""Site menus: each blueprint adds its own entries, the layout lists them.

The signed-in menu is grouped: one line on a laptop (each group opens a short list), one
"Menu" button on a phone. A blueprint may name its group; entries that do not are placed
by their blueprint (BLUEPRINT_GROUPS), else they stand alone.
"""

from dataclasses import dataclass, field

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

#: The groups of the signed-in menu: key -> (label, place among the entries' orders).
STAFF_GROUPS = {
    "sessions": (_l("Sessions"), 20),
    "site": (_l("Website"), 30),
    "money": (_l("Money"), 40),
    "records": (_l("Records"), 50),
}
#: Where a blueprint's entries go when it does not say.
BLUEPRINT_GROUPS = {
    "content_admin": "site",
    "calendar": "sessions",
    "accounting": "money",
    "audit": "records",
}
#: A menu this short is shown as it is, without groups (the accountant's).
FLAT_UP_TO = 5


@dataclass
class NavLink:
    endpoint: str
    label: object
    current: bool = False


@dataclass
class NavGroup:
    key: str
    label: object
    links: list = field(default_factory=list)

    @property
    def current(self):
        return any(link.current for link in self.links)


def add_public(app, endpoint, label, order):
    """A link in the public menu; `label` is a lazy_gettext string."""
    app.extensions.setdefault("consult.public_nav", []).append((order, endpoint, label))


def add_staff(app, endpoint, label, order, roles=("owner",), group=None):
    """A link in the signed-in bar, shown to the given roles, in `group` (a STAFF_GROUPS key)."""
    if group is None:
        group = BLUEPRINT_GROUPS.get(endpoint.partition(".")[0])
    if group is not None and group not in STAFF_GROUPS:
        raise ValueError(f"unknown menu group {group!r}")
    app.extensions.setdefault("consult.staff_nav", []).append(
        (order, endpoint, label, roles, group)
    )


def public_nav():
    entries = sorted(current_app.extensions.get("consult.public_nav", []), key=lambda e: e[0])
    return [(endpoint, label) for _, endpoint, label in entries]


def _staff_entries():
    if not current_user.is_authenticated:
        return []
    entries = sorted(current_app.extensions.get("consult.staff_nav", []), key=lambda e: e[0])
    return [entry for entry in entries if current_user.role in entry[3]]


def staff_nav():
    """The signed-in menu: (endpoint, label) for each entry she may reach, in order."""
    return [(endpoint, label) for _, endpoint, label, _roles, _group in _staff_entries()]


def staff_menu():
    """The signed-in menu as NavLink and NavGroup items, in order: a group stands at its
    place in STAFF_GROUPS; a group of one entry, and a short menu, are plain links."""
    entries = _staff_entries()
    here = request.endpoint if request else None
    flat = len(entries) <= FLAT_UP_TO
    placed, groups = [], {}
    for order, endpoint, label, _roles, group in entries:
        link = NavLink(endpoint, label, current=endpoint == here)
        if flat or group is None:
            placed.append((order, link))
            continue
        if group not in groups:
            label, place = STAFF_GROUPS[group]
            groups[group] = NavGroup(group, label)
            placed.append((place, groups[group]))
        groups[group].links.append(link)
    placed.sort(key=lambda pair: pair[0])
    return [
        item.links[0] if isinstance(item, NavGroup) and len(item.links) == 1 else item
        for _place, item in placed
    ]


def init_app(app):
    app.jinja_env.globals.update(public_nav=public_nav, staff_nav=staff_nav, staff_menu=staff_menu)
    app.jinja_env.add_extension("jinja2.ext.do")
