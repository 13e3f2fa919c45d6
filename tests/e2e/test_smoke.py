"""The browser sees a working site: home page, language switch, keyboard skip link."""


def test_home_page_switches_language_in_the_browser(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/en/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_skip_link_is_the_first_stop_for_the_keyboard(page):
    page.goto("/en/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
