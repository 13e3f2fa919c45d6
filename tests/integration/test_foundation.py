"""The skeleton: factory, configuration, languages, errors, health, headers, access."""

import pytest
import sqlalchemy as sa

from consult import create_app
from consult.auth.access import PUBLIC
from consult.auth.models import User
from consult.config import UnsafeProductionSettings
from consult.extensions import db
from tests.conftest import make_test_config


def test_config_precedence_defaults_then_instance_file_then_env_then_test(
    tmp_path, monkeypatch, database_url
):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        'SITE_NAME = "From file"\nOWNER_NAME = "File owner"\nCURRENCY = "EUR"\n'
    )
    monkeypatch.setenv("CONSULT_OWNER_NAME", "Env owner")
    monkeypatch.setenv("CONSULT_CURRENCY", "USD")
    app = create_app(make_test_config(database_url, instance, CURRENCY="CAD"))
    assert app.config["TIME_ZONE"] == "America/Montreal"  # default
    assert app.config["SITE_NAME"] == "From file"  # instance/config.py
    assert app.config["OWNER_NAME"] == "Env owner"  # env beats the file
    assert app.config["CURRENCY"] == "CAD"  # test config beats everything


def test_production_settings_fail_closed(tmp_path, database_url):
    with pytest.raises(UnsafeProductionSettings, match="CONSULT_PAYMENT_GATEWAY"):
        create_app(
            make_test_config(
                database_url,
                tmp_path,
                ENV_NAME="production",
                SECRET_KEY="k" * 40,
                SITE_URL="https://x.example",
            )
        )


def test_root_serves_the_french_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Aller au contenu" in response.text


def test_english_home_page_is_in_english(client):
    response = client.get("/en/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Skip to content" in response.text


def test_unknown_language_is_not_found(client):
    assert client.get("/de/").status_code == 404


def test_language_switch_keeps_the_visitor_on_the_same_page(client):
    page = client.get("/en/login").text
    assert 'href="/fr/login"' in page
    page = client.get("/fr/login?next=/fr/admin/").text
    assert 'href="/en/login?next=/fr/admin/"' in page


@pytest.mark.parametrize(
    ("path", "lang", "status", "words"),
    [
        ("/fr/nothing-here", "fr", 404, "Page introuvable"),
        ("/en/nothing-here", "en", 404, "Page not found"),
    ],
)
def test_error_pages_speak_the_visitors_language(client, path, lang, status, words):
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == status
    assert words in response.text


def test_forbidden_page_in_both_languages(client, auth):
    auth.login(role="accountant")
    response = client.get("/fr/admin/")
    assert response.status_code == 403
    assert "Accès refusé" in response.text
    assert "Access denied" in client.get("/en/admin/").text


def test_a_crash_rolls_back_and_shows_the_500_page(app, client):
    @app.route("/boom")
    def boom():
        db.session.add(User(email="ghost@example.org", role="owner", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    boom.access = frozenset({PUBLIC})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom", headers={"Accept-Language": "fr"})
    assert response.status_code == 500
    assert "Une erreur inattendue" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_healthz_reports_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app(make_test_config("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"] == "unreachable"
    # The driver's message (host, port, user, database) stays in the log.
    assert response.json == {"status": "error", "database": "unreachable"}
    assert "127.0.0.1" not in response.text and "nobody" not in response.text


def test_every_route_declares_who_may_reach_it(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "access", None) is None
    ]
    assert undeclared == []


def test_private_routes_send_anonymous_visitors_to_sign_in(app, client):
    for rule in app.url_map.iter_rules():
        access = app.view_functions[rule.endpoint].access
        if PUBLIC in access or "GET" not in rule.methods or rule.arguments - {"lang"}:
            continue
        path = rule.rule.replace("<lang:lang>", "fr")
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/fr/login?next=" in response.headers["Location"], path


def test_security_headers_on_every_page(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_public_pages_answer_304_to_a_matching_etag(client):
    first = client.get("/en/")
    assert first.headers["ETag"]
    again = client.get("/en/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_private_pages_are_never_cached(client, auth):
    auth.login()
    response = client.get("/fr/admin/")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    page = client.get("/").text
    start = page.index("/static/css/site.css?v=")
    url = page[start : page.index('"', start)]
    with client.get(url) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = client.post(
        "/fr/login", data={"email": user.email, "password": user.password, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/fr/admin/"


def test_sign_in_follows_a_local_next(client, make_user):
    user = make_user()
    response = client.post(
        "/fr/login",
        data={"email": user.email, "password": user.password, "next": "/en/admin/"},
    )
    assert response.headers["Location"] == "/en/admin/"


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user()
    response = client.post("/en/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 400
    assert "Wrong email or password." in response.text


def test_csrf_is_required_on_forms(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    response = app.test_client().post(
        "/en/login", data={"email": user.email, "password": user.password}
    )
    assert response.status_code == 400
    assert "Form expired" in response.text


def test_a_password_change_signs_out_other_sessions(app, client, auth):
    user = auth.login()
    assert client.get("/fr/admin/").status_code == 200
    with app.app_context():
        stored = db.session.get(User, user.id)
        stored.set_password("another long password")
        db.session.commit()
    assert client.get("/fr/admin/").status_code == 302


def test_each_request_is_logged_with_status_and_duration(client, caplog):
    caplog.set_level("INFO", logger="consult.request")
    client.get("/en/")
    assert any(
        record.getMessage().startswith("GET /en/ 200 ") and record.getMessage().endswith("ms")
        for record in caplog.records
    )


def test_an_oversized_request_gets_a_clear_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/en/login", data={"email": "a@example.org", "password": "x" * 4096})
    assert response.status_code == 413
    assert "Too large" in response.text


def test_a_field_without_help_or_error_has_no_stray_aria_attributes(client):
    page = client.get("/en/login").text
    assert 'aria-describedby="None"' not in page
    assert 'aria-invalid="None"' not in page
    assert (
        '<label for="email">Email</label> <span class="required" aria-hidden="true">*</span>'
        in page
    )


def test_behind_a_trusted_proxy_the_visitors_address_is_used(tmp_path, database_url):
    from flask import request

    app = create_app(make_test_config(database_url, tmp_path, PROXY_HOPS=1))

    @app.route("/whoami")
    def whoami():
        return request.remote_addr

    whoami.access = frozenset({PUBLIC})
    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.text == "203.0.113.9"
