"""Every user-facing string in the code and templates has a French translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("**.html", "jinja2"),
    ("**.txt", "jinja2"),
]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}, "**.txt": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages():
    found = {}
    for folder in ("consult",):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, METHOD_MAP, OPTIONS, KEYWORDS
        ):
            key = message if isinstance(message, str) else message[0]
            found.setdefault(key, f"{folder}/{filename}:{lineno}")
    return found


def french_translations():
    translated = {}
    for path in ROOT.glob("consult/**/translations/fr/LC_MESSAGES/messages.po"):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if not message.id or message.fuzzy:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if all(strings):
                    translated[key] = strings
    return translated


def test_every_string_has_a_french_translation():
    translated = french_translations()
    missing = {key: where for key, where in source_messages().items() if key not in translated}
    assert missing == {}


def test_a_string_reads_the_same_in_every_catalog_that_has_it():
    # Flask-Babel merges the catalogs: two translations of one string would pick one silently.
    seen = {}
    for path in sorted(ROOT.glob("consult/**/translations/fr/LC_MESSAGES/messages.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    seen.setdefault(key, set()).add(str(message.string))
    assert {key: found for key, found in seen.items() if len(found) > 1} == {}


def test_no_catalog_is_marked_fuzzy_as_a_whole():
    # pybabel compile skips a catalog whose header is fuzzy: the site would fall back to English.
    fuzzy = []
    for path in ROOT.glob("consult/**/translations/fr/LC_MESSAGES/messages.po"):
        with path.open("rb") as handle:
            if read_po(handle, locale="fr").fuzzy:
                fuzzy.append(str(path.relative_to(ROOT)))
    assert fuzzy == []


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
    for key, strings in french_translations().items():
        expected = sorted(placeholder.findall(key))
        for string in strings:
            assert sorted(placeholder.findall(string)) == expected, key
