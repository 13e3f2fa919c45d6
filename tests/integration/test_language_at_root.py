"""`/` follows the browser's language on a first visit; a language she chose wins after."""

from consult.i18n import LANG_COOKIE


def test_an_english_browser_is_sent_to_the_english_home_page(client):
    response = client.get("/", headers={"Accept-Language": "en-CA,en;q=0.9,fr;q=0.5"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_a_french_or_silent_browser_stays_on_the_french_home_page(client):
    french = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert french.status_code == 200
    assert '<html lang="fr">' in french.text
    assert {"Accept-Language", "Cookie"} <= set(french.vary)
    assert client.get("/", headers={"Accept-Language": "de"}).status_code == 200


def test_the_language_switch_is_remembered_and_wins_over_the_browser(client):
    english = {"Accept-Language": "en"}
    switched = client.get("/fr/", headers={**english, "Referer": "http://localhost/en/"})
    assert f"{LANG_COOKIE}=fr" in switched.headers["Set-Cookie"]
    assert "HttpOnly" in switched.headers["Set-Cookie"]
    assert client.get("/", headers=english).status_code == 200  # French, as she chose
    client.get("/en/articles/", headers={"Referer": "http://localhost/fr/articles/"})
    assert client.get("/", headers={"Accept-Language": "fr"}).headers["Location"] == "/en/"


def test_arriving_from_elsewhere_or_within_one_language_sets_no_cookie(client):
    from_search = client.get("/en/", headers={"Referer": "https://search.example/?q=consult"})
    assert f"{LANG_COOKIE}=" not in str(from_search.headers.getlist("Set-Cookie"))
    within = client.get("/en/articles/", headers={"Referer": "http://localhost/en/"})
    assert f"{LANG_COOKIE}=" not in str(within.headers.getlist("Set-Cookie"))
