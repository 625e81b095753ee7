"""Checks of report pages that need no browser: what a page loads, its math, its links.

Used by the HTML and index tests (tests/reports/test_html_*.py, test_index.py);
each check returns the problems it found (empty = fine), so that a failing test
names them. The checks are themselves tested on pages made to fail
(tests/reports/test_html_export.py).
"""

from __future__ import annotations

import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Attributes that make a browser load or navigate to a URL.
URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background"}
#: Elements whose text is code or already mathematics, not prose.
NOT_PROSE = {"pre", "code", "script", "style", "math", "textarea", "svg"}
#: TeX left as text: $...$, $$...$$, \(...\), \[...\], \begin{...}.
UNRENDERED_TEX = re.compile(
    r"\$\$.+?\$\$|(?<![\w$])\$[^$\s][^$]*?\$(?![\w$])|\\\(.+?\\\)|\\\[.+?\\\]|\\begin\{",
    re.S,
)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import\b", re.I)
_SCRIPT_URL = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'`]*|\bimport\(|\bfetch\(")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*,[^\"')\s<>]*")


def _is_external(url: str) -> bool:
    """A URL that reaches another host (or anything but this page and files beside it)."""
    url = url.strip()
    if not url or url.startswith("#"):
        return False
    parts = urlsplit(url)
    if parts.scheme == "data":
        return False
    return bool(parts.scheme or parts.netloc or url.startswith("//"))


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self.prose: list[str] = []
        self.classes: list[str] = []
        self.scripts: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name in URL_ATTRIBUTES:
                self.urls.append((tag, name, value))
            elif name == "id":
                self.ids.add(value)
            elif name == "style":
                self.styles.append(value)
            elif name == "class":
                self.classes.append(value)
        if tag not in _VOID:
            self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self._stack.pop()

    def handle_endtag(self, tag):
        if tag in self._stack:  # close it and whatever was left open inside it
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._stack and self._stack[-1] == "style":
            self.styles.append(data)
        elif self._stack and self._stack[-1] == "script":
            self.scripts.append(data)
        elif not any(t in NOT_PROSE for t in self._stack):
            self.prose.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def external_references(html: str) -> list[str]:
    """Everything in a page that would make a browser contact another host."""
    page = parse(html)
    found = [f"<{tag} {name}={value!r}>" for tag, name, value in page.urls if _is_external(value)]
    for style in page.styles:
        if _CSS_IMPORT.search(style):
            found.append("@import in a style")
        for _, url in _CSS_URL.findall(style):
            if _is_external(url):
                found.append(f"url({url})")
    for script in page.scripts:  # a script that fetches (import(), fetch(), an URL)
        for match in _SCRIPT_URL.finditer(script):
            found.append(f"<script> {match.group(0)[:80]!r}")
    return found


def unrendered_math(html: str) -> list[str]:
    """TeX left as text in a page's prose (outside code, outputs as text and MathML)."""
    page = parse(html)
    text = "".join(page.prose)
    found = [m.group(0)[:80] for m in UNRENDERED_TEX.finditer(text)]
    found += [c for c in page.classes if "sm-unrendered-math" in c.split()]
    return found


def broken_links(page_path: Path, root: Path) -> list[str]:
    """Links of a page that do not resolve: a fragment without its id on the page, a file
    missing or outside ``root``, or any link to another host."""
    page = parse(page_path.read_text(encoding="utf-8"))
    root = root.resolve()
    problems = []
    for tag, name, value in page.urls:
        if _is_external(value):
            if urlsplit(value).scheme != "data":
                problems.append(f"{tag} {name}={value!r}: another host")
            continue
        if value.startswith("data:"):
            continue
        path, _, fragment = value.partition("#")
        if not path:
            if fragment not in page.ids:
                problems.append(f"{tag} {name}={value!r}: no element with that id")
            continue
        target = (page_path.parent / unquote(path)).resolve()
        if root not in target.parents or not target.is_file():
            problems.append(f"{tag} {name}={value!r}: no such file in {root.name}/")
    return problems


def links(page_path: Path) -> list[str]:
    """Every ``href``/``src`` (and other URL attribute) of a page."""
    return [value for _, _, value in parse(page_path.read_text(encoding="utf-8")).urls]


#: Roots of absolute paths that must never be printed in a report.
ABSOLUTE_ROOTS = re.compile(r"(?<![\w.:/])/(?:home|root|tmp|var|Users|private|work|mnt|opt)/")


def leaked_paths(folder: Path, forbidden: list[str]) -> list[str]:
    """Files under ``folder`` that show a staging folder (``.partial``), a temporary or
    absolute path, or any of ``forbidden``; images' base64 data are not searched."""
    needles = [".partial", "spinemets-cohorts-", tempfile.gettempdir() + "/", *forbidden]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.startswith("."):
            continue  # the runner's own hidden files (lock files) are not report output
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        if path.suffix != ".png":
            text = _DATA_URI.sub("data:", text)
        for needle in needles:
            if needle and needle in text:
                found.append(f"{path.relative_to(folder)}: {needle!r}")
        if path.suffix != ".png":
            for match in ABSOLUTE_ROOTS.finditer(text):
                context = text[max(0, match.start() - 30) : match.end() + 30]
                found.append(f"{path.relative_to(folder)}: absolute path in {context!r}")
    return found
