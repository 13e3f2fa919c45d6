"""GET /healthz: is this process up, and does its database answer?"""

from flask import current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .auth.access import public
from .database import ping


@public
def healthz():
    """Liveness and database check for load balancers and uptime monitors."""
    try:
        ping()
    except SQLAlchemyError:
        # The driver's message names hosts, users and databases: the log has it, not the
        # answer, which anyone on the internet can read.
        current_app.logger.exception("health check: the database does not answer")
        response = jsonify(status="error", database="unreachable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.cache_control.no_store = True
    return response


def init_app(app):
    app.add_url_rule("/healthz", "healthz", healthz)
