"""consult: articles, a speaker bio and paid strategy sessions for an independent consultant."""

import logging
import os
import time

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(test_config=None):
    """Build the application: defaults, instance/config.py, CONSULT_* env vars, test config."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=(test_config or {}).get("INSTANCE_PATH"),
    )
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(settings.from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings.check_production(app.config)
    settings.check_network_budget(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_database(app)
    _init_extensions(app)
    _register_blueprints(app)
    _init_logging(app)

    from .auth.access import enforce_access, mark_builtin_routes_public

    mark_builtin_routes_public(app)
    app.before_request(enforce_access)

    from . import page_cache, static_files

    # Last of the before_request hooks: a stored page is served once access and language
    # are settled. Static files are answered in front of everything, by WhiteNoise.
    page_cache.init_app(app)
    static_files.init_app(app)

    from . import cli

    cli.init_app(app)
    return app


def _init_database(app):
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config["DATABASE_URL"]
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "consult.sqlite3")
    if url.startswith(("postgres://", "postgresql://")):
        # psycopg 3 is the driver; accept the usual spellings of the URL.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    engine_options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if url.startswith("sqlite"):
        engine_options.setdefault("connect_args", {}).setdefault("timeout", 30)
    else:
        engine_options.setdefault("pool_pre_ping", True)


def _init_extensions(app):
    from . import (  # noqa: F401 - models registers tables
        database,
        formatting,
        i18n,
        models,
        navigation,
        security,
    )
    from .accounting import rollup
    from .auth.models import load_user

    db.init_app(app)
    database.init_app(app)
    rollup.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=database.migration_include_object,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    limiter.init_app(app)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES",
        ";".join(i18n.translation_directories()),
    )
    i18n.init_app(app)
    formatting.init_app(app)
    security.init_app(app)
    navigation.init_app(app)


def _register_blueprints(app):
    from . import errors, health, hostile
    from .accounting.routes import bp as accounting_bp
    from .admin.audit import bp as audit_bp
    from .admin.routes import bp as admin_bp
    from .auth.routes import bp as auth_bp
    from .booking.routes import bp as booking_bp
    from .calendar.routes import bp as calendar_bp
    from .content.admin import bp as content_admin_bp
    from .content.routes import bp as content_bp
    from .newsletter.desk import bp as newsletter_desk_bp
    from .newsletter.routes import bp as newsletter_bp
    from .payments.routes import bp as payments_bp
    from .privacy.routes import bp as privacy_bp

    for blueprint in (
        auth_bp,
        content_bp,
        admin_bp,
        content_admin_bp,
        audit_bp,
        calendar_bp,
        accounting_bp,
        booking_bp,
        payments_bp,
        privacy_bp,
        newsletter_bp,
        newsletter_desk_bp,
    ):
        app.register_blueprint(blueprint)
    hostile.init_app(app)
    health.init_app(app)
    errors.init_app(app)


def _init_logging(app):
    """One line per request: method, path, status, duration. Errors log their traceback."""
    logger = logging.getLogger("consult.request")
    if not logging.getLogger().handlers and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.pop("request_started", None)
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status_code, duration_ms
        )
        return response
