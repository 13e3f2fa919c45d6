"""Error pages in the visitor's language; a 500 rolls the session back first."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError

from .extensions import db


def wants_json():
    return request.path.startswith(("/webhooks/", "/healthz"))


def page(status, template):
    if wants_json():
        return {"error": template}, status
    return render_template(f"errors/{template}.html", status=status), status


def init_app(app):
    @app.errorhandler(400)
    def bad_request(error):
        return page(400, "400")

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return page(400, "csrf")

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, "403")

    @app.errorhandler(404)
    def not_found(error):
        return page(404, "404")

    @app.errorhandler(405)
    def method_not_allowed(error):
        return page(405, "405")

    @app.errorhandler(413)
    def too_large(error):
        return page(413, "413")

    @app.errorhandler(429)
    def too_many_requests(error):
        return page(429, "429")

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return page(500, "500")
