"""GET /healthz: is this process up, and does its database answer?"""

from flask import jsonify
from sqlalchemy.exc import SQLAlchemyError

from .auth.access import public
from .database import ping


@public
def healthz():
    """Liveness and database check for load balancers and uptime monitors."""
    try:
        ping()
    except SQLAlchemyError as error:
        reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        response = jsonify(status="error", database="unreachable", reason=reason)
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.cache_control.no_store = True
    return response


def init_app(app):
    app.add_url_rule("/healthz", "healthz", healthz)
