"""Who may reach each route, declared on the view and enforced for every request.

Every view carries exactly one of these decorators; a route without one is refused
(fail closed), and a test walks the URL map to prove every route declares its access.
"""

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

PUBLIC = "public"
OWNER = "owner"
ACCOUNTANT = "accountant"
ROLES = (OWNER, ACCOUNTANT)


def access(*allowed):
    """Declare who may reach a view: `@access(PUBLIC)`, `@access(OWNER)`, ..."""
    unknown = set(allowed) - {PUBLIC, *ROLES}
    if not allowed or unknown:
        raise ValueError(f"unknown access {unknown or allowed!r}")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.access = frozenset(allowed)
        return wrapper

    return decorate


public = access(PUBLIC)
owner_only = access(OWNER)
#: The owner and her accountant: the books, receipts, signing out.
staff = access(OWNER, ACCOUNTANT)


def declared_access(endpoint):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def enforce_access():
    """before_request: apply the view's declared access; no declaration means no access."""
    if request.endpoint is None:
        return None  # routing failed: the 404/405 handler answers
    allowed = declared_access(request.endpoint)
    if allowed is None:
        current_app.logger.error("route %s declares no access; refused", request.endpoint)
        abort(403)
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in allowed:
        abort(403)
    return None


def mark_builtin_routes_public(app):
    """Static files are public; Flask registers their views itself."""
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint.endswith(".static"):
            view.access = frozenset({PUBLIC})
