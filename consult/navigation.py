"""Site menus: each blueprint adds its own entries, the layout lists them."""

from flask import current_app
from flask_login import current_user


def add_public(app, endpoint, label, order):
    """A link in the public menu; `label` is a lazy_gettext string."""
    app.extensions.setdefault("consult.public_nav", []).append((order, endpoint, label))


def add_staff(app, endpoint, label, order, roles=("owner",)):
    """A link in the signed-in bar, shown to the given roles."""
    app.extensions.setdefault("consult.staff_nav", []).append((order, endpoint, label, roles))


def public_nav():
    entries = sorted(current_app.extensions.get("consult.public_nav", []), key=lambda e: e[0])
    return [(endpoint, label) for _, endpoint, label in entries]


def staff_nav():
    if not current_user.is_authenticated:
        return []
    entries = sorted(current_app.extensions.get("consult.staff_nav", []), key=lambda e: e[0])
    return [
        (endpoint, label) for _, endpoint, label, roles in entries if current_user.role in roles
    ]


def init_app(app):
    app.jinja_env.globals.update(public_nav=public_nav, staff_nav=staff_nav)
    app.jinja_env.add_extension("jinja2.ext.do")
