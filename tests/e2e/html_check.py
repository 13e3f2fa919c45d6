"""The Nu HTML checker (vnu.jar) over every page the browser tests load: no error allowed.

The e2e `page` fixture hands each new tab to `html_checker.watch(page)`; every HTML document
the server answers (each distinct body once) is written to a folder, and when the session
ends vnu checks them all in one run (one Java start-up) and the session fails on any error,
naming the page and the line. `make test` installs vnu.jar (npm's vnu-jar) into
.venv/tools; CONSULT_VNU_JAR points elsewhere. Without Java or the jar the check is skipped,
except under CI=true, where that is a failure.
"""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_JAR = ROOT / ".venv" / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = os.environ.get("CONSULT_JAVA", "java")
#: A generous bound: vnu checks a hundred pages in a few seconds once Java has started.
VNU_TIMEOUT_SECONDS = 300


def vnu_jar():
    return Path(os.environ.get("CONSULT_VNU_JAR") or DEFAULT_JAR)


def vnu_missing():
    """Why vnu cannot run here, or None."""
    if not shutil.which(JAVA):
        return f"Java not found ({JAVA}): the Nu HTML checker needs Java 17 or later"
    if not vnu_jar().is_file():
        return f"vnu.jar not found at {vnu_jar()} (make test installs it)"
    return None


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run_vnu(files):
    """[(file, line, message)] of every error vnu finds in `files` (HTML documents)."""
    files = [str(path) for path in files]
    if not files:
        return []
    completed = subprocess.run(
        [JAVA, "-Xss2m", "-jar", str(vnu_jar()), "--format", "json", "--errors-only", *files],
        capture_output=True,
        text=True,
        timeout=VNU_TIMEOUT_SECONDS,
        check=False,
    )
    try:
        report = json.loads(completed.stderr or completed.stdout or '{"messages": []}')
    except json.JSONDecodeError as error:
        raise RuntimeError(f"vnu did not answer in JSON: {completed.stderr[:2000]}") from error
    return [
        (message.get("url", "").removeprefix("file:"), message.get("lastLine"), message["message"])
        for message in report.get("messages", [])
        if message.get("type") in ("error", "non-document-error")
    ]


def describe(errors, names):
    """One line per error: the page's address, the line, vnu's words."""
    lines = []
    for path, line, message in errors:
        where = names.get(Path(path).name, path)
        lines.append(f"{where}:{line}: {message}")
    return "\n".join(lines)


class PageRecorder:
    """Keeps the HTML of each document the browser receives, for one vnu run at the end."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.seen = set()
        #: file name -> the address it came from, for the report.
        self.names = {}

    def watch(self, page):
        page.on("response", self._record)

    def _record(self, response):
        request = response.request
        if request.resource_type != "document" or not 200 <= response.status < 300:
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        try:
            body = response.body()
        except Exception:  # the tab closed or navigated away before the body arrived
            return
        self.add(response.url, body)

    def add(self, url, body):
        digest = hashlib.sha256(body).hexdigest()[:16]
        if digest in self.seen:
            return
        self.seen.add(digest)
        name = f"page-{len(self.seen):04d}-{digest}.html"
        (self.folder / name).write_bytes(body)
        self.names[name] = url

    def errors(self):
        return run_vnu(sorted(self.folder.glob("*.html")))


@pytest.fixture(scope="session")
def html_checker(tmp_path_factory):
    """Records the pages the browser tests load; at the end, fails on any vnu error."""
    recorder = PageRecorder(tmp_path_factory.mktemp("vnu-pages"))
    yield recorder
    if not recorder.names:
        return
    missing = vnu_missing()
    if missing:
        if in_ci():
            pytest.fail(missing, pytrace=False)
        return
    errors = recorder.errors()
    if errors:
        pytest.fail(
            f"The Nu HTML checker found {len(errors)} error(s) in the pages the browser "
            f"tests loaded:\n{describe(errors, recorder.names)}",
            pytrace=False,
        )
