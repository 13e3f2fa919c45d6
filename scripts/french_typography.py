"""French typography in the French catalogs: typographic apostrophes and no-break spaces.

    python scripts/french_typography.py          # rewrite the catalogs in place
    python scripts/french_typography.py --check  # list what it would change; exit 1 if any

Only msgstr text changes, never a msgid, an HTML tag or attribute, a %(name)s or {name}
placeholder, an address ("https://...") or a time ("14:02"). In French text:
- ' becomes ’;
- a no-break space goes before ":" (U+00A0) and a narrow one (U+202F) before ";", "!" and
  "?", replacing a plain space or added where there was none before punctuation that ends a
  word (followed by a space or the end of the text);
- the spaces inside « » become narrow no-break spaces.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = "consult/**/translations/fr/LC_MESSAGES/messages.po"
NBSP = "\u00a0"
NNBSP = "\u202f"
SPACE_BEFORE = {":": NBSP, ";": NNBSP, "!": NNBSP, "?": NNBSP}
#: Markup and placeholders, copied as they are.
PROTECTED = re.compile(r"<[^>]*>|%\([^)]*\)[a-z]|%[a-z%]|\{[^}]*\}|https?://\S+|mailto:\S+")
#: What may come before punctuation that ends a word: a letter, a digit, a closing mark.
WORD_END = re.compile(r"[\w)\]»’\"*]")
STRING_LINE = re.compile(r'^(msgstr(?:\[\d+\])? )?"(.*)"$')


def _after_is_boundary(text, index):
    """Whether the punctuation at `index` ends its word: a space, an escape or the end."""
    rest = text[index + 1 :]
    return rest == "" or rest[0] in " \u00a0\u202f" or rest.startswith(("\\n", '\\"'))


def french(text):
    """`text` (a PO string literal's escaped content) with French typography."""
    protected = [False] * len(text)
    for match in PROTECTED.finditer(text):
        for index in range(match.start(), match.end()):
            protected[index] = True
    out = []
    for index, char in enumerate(text):
        if protected[index]:
            out.append(char)
            continue
        if char == "'":
            out.append("’")
        elif char in SPACE_BEFORE and _after_is_boundary(text, index):
            space = SPACE_BEFORE[char]
            if out and out[-1] == " ":
                out[-1] = space
            elif out and WORD_END.match(out[-1]):
                out.append(space)
            out.append(char)
        elif char == " " and out and out[-1] == "«":
            out.append(NNBSP)
        elif char == "»" and out and out[-1] == " ":
            out[-1] = NNBSP
            out.append(char)
        else:
            out.append(char)
    return "".join(out)


def rewrite(source):
    """The catalog's text with every msgstr in French typography (the header left alone)."""
    lines = source.split("\n")
    header_end = lines.index("") if "" in lines else len(lines)
    in_msgstr = False
    for number in range(header_end, len(lines)):
        match = STRING_LINE.match(lines[number])
        if match is None:
            in_msgstr = False
            continue
        if match.group(1):
            in_msgstr = True
        elif lines[number - 1].startswith("msgid") or not in_msgstr:
            continue
        lines[number] = f'{match.group(1) or ""}"{french(match.group(2))}"'
    return "\n".join(lines)


def main(argv):
    check = "--check" in argv
    changed = []
    for path in sorted(ROOT.glob(CATALOGS)):
        source = path.read_text(encoding="utf-8")
        result = rewrite(source)
        if result != source:
            changed.append(path.relative_to(ROOT))
            if not check:
                path.write_text(result, encoding="utf-8")
    for path in changed:
        print(f"{'would change' if check else 'changed'}: {path}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
