"""Settings: environment decoding and the production safety checks."""

import pytest

from consult.config import (
    DEFAULTS,
    UnsafeProductionSettings,
    check_production,
    from_environment,
    private_addresses_allowed,
)


def production(**overrides):
    config = dict(DEFAULTS, ENV_NAME="production", SECRET_KEY="s" * 40)
    config.update(PAYMENT_GATEWAY="manual", SITE_URL="https://consult.example")
    config.update(overrides)
    return config


def test_environment_values_are_decoded_by_the_type_of_their_default():
    settings = from_environment(
        {
            "CONSULT_HOLD_MINUTES": "45",
            "CONSULT_SMTP_STARTTLS": "false",
            "CONSULT_TAXES": '[{"code": "HST", "rate": "0.13"}]',
            "CONSULT_SITE_NAME": "Studio",
            "OTHER": "ignored",
        }
    )
    assert settings == {
        "HOLD_MINUTES": 45,
        "SMTP_STARTTLS": False,
        "TAXES": [{"code": "HST", "rate": "0.13"}],
        "SITE_NAME": "Studio",
    }


def test_development_settings_are_accepted_outside_production():
    check_production(dict(DEFAULTS))


def test_production_with_safe_settings_starts():
    check_production(production())


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": DEFAULTS["SECRET_KEY"]}, "CONSULT_SECRET_KEY"),
        ({"PAYMENT_GATEWAY": "demo"}, "CONSULT_PAYMENT_GATEWAY"),
        ({"PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_x"}, "STRIPE_WEBHOOK_SECRET"),
        ({"PAYMENT_GATEWAY": "stripe", "STRIPE_WEBHOOK_SECRET": "w"}, "STRIPE_SECRET_KEY"),
        ({"SITE_URL": "http://consult.example"}, "CONSULT_SITE_URL"),
        ({"STRIPE_API_BASE": "http://127.0.0.1:9"}, "CONSULT_STRIPE_API_BASE"),
    ],
)
def test_production_refuses_to_start_and_names_the_setting(overrides, named):
    with pytest.raises(UnsafeProductionSettings, match=named):
        check_production(production(**overrides))


def test_production_refuses_the_public_demo_webhook_secret():
    settings = production(
        PAYMENT_GATEWAY="stripe",
        STRIPE_SECRET_KEY="sk_live_x",
        STRIPE_WEBHOOK_SECRET=DEFAULTS["DEMO_WEBHOOK_SECRET"],
    )
    with pytest.raises(UnsafeProductionSettings, match="public demo secret"):
        check_production(settings)
    check_production(dict(settings, STRIPE_WEBHOOK_SECRET="whsec_the_endpoints_own"))


def test_production_refuses_memory_rate_limits_with_several_web_workers():
    with pytest.raises(UnsafeProductionSettings, match="CONSULT_WEB_WORKERS=4"):
        check_production(production(WEB_WORKERS=4))
    check_production(production(WEB_WORKERS=1))
    check_production(production(WEB_WORKERS=4, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"))
    assert from_environment({"CONSULT_WEB_WORKERS": "4"}) == {"WEB_WORKERS": 4}


def test_private_calendar_addresses_are_refused_in_production_unless_allowed():
    assert private_addresses_allowed(dict(DEFAULTS))
    assert not private_addresses_allowed(production())
    assert private_addresses_allowed(production(CALENDAR_ALLOW_PRIVATE_ADDRESSES=True))
    assert not private_addresses_allowed(dict(DEFAULTS, CALENDAR_ALLOW_PRIVATE_ADDRESSES=False))
    decoded = from_environment({"CONSULT_CALENDAR_ALLOW_PRIVATE_ADDRESSES": "no"})
    assert decoded == {"CALENDAR_ALLOW_PRIVATE_ADDRESSES": False}
