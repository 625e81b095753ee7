"""Open every report page in headless Chromium with the network off; check and screenshot it.

A manual check (not collected by pytest, not run in CI: CI has no browser). The
automatic tests parse the pages (tests/reports/html_checks.py); this script looks
at them as a reader's browser does:

* the network is off: the browser runs in a network namespace of its own
  (``unshare --net``, as root or with user namespaces), or, where that is not
  possible, with every host resolved to nowhere and a proxy that does not exist;
* each page is loaded in a probe page that waits for it, then reports: the
  requests the page made to another host (from the browser's own network log, less
  the requests the browser makes by itself with a blank page),
  its ``<math>`` elements and how many were laid out with a size (MathML drawn),
  images that failed to load, and contents links without a target;
* a screenshot of each page goes to ``--screenshots`` (default: a temporary
  folder, printed).

Usage (after ``make reports``, or on any output folder)::

    apt-get install -y chromium          # Debian; any Chromium or Chrome will do
    .venv/bin/python tests/manual/chromium_offline.py [reports] [--screenshots DIR]

Exit code 0 when every page passed (or when no Chromium is installed: then it says
it skipped), 1 otherwise.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: The browser's own background traffic, switched off so that the network log is the page's.
QUIET = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-extensions",
    "--allow-file-access-from-files",
]
#: Without a network namespace: every host name resolves to nowhere, no proxy answers.
NO_NETWORK = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9"]

PROBE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<iframe id="page" src="%(url)s" style="width:1280px;height:2000px"></iframe>
<pre id="result">pending</pre>
<script>
const frame = document.getElementById("page");
frame.addEventListener("load", () => setTimeout(() => {
  const doc = frame.contentDocument, win = frame.contentWindow;
  const maths = [...doc.querySelectorAll("math")];
  const drawn = maths.filter(m => { const r = m.getBoundingClientRect();
                                    return r.width > 0 && r.height > 0; });
  const images = [...doc.images];
  const broken = images.filter(i => i.complete && i.naturalWidth === 0).map(i => i.src);
  const contents = [...doc.querySelectorAll("nav#contents a")];
  // as a browser finds a fragment's target: the fragment as written, then decoded
  const orphans = contents.map(a => a.hash.slice(1)).filter(
    id => !doc.getElementById(id) && !doc.getElementById(decodeURIComponent(id)));
  const requests = win.performance.getEntriesByType("resource").map(e => e.name)
                      .filter(n => !n.startsWith("file:") && !n.startsWith("data:"));
  document.getElementById("result").textContent = JSON.stringify({
    title: doc.title, math: maths.length, math_drawn: drawn.length,
    images: images.length, broken_images: broken, contents: contents.length,
    contents_without_target: orphans, resource_requests: requests,
    scripts: doc.scripts.length,
  });
}, 1500));
</script></body></html>
"""


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def offline_prefix() -> tuple[list[str], list[str]]:
    """(command prefix, extra flags) that run the browser without a network."""
    unshare = shutil.which("unshare")
    if unshare:
        trial = subprocess.run([unshare, "--net", "true"], capture_output=True, check=False)
        if trial.returncode == 0:
            return [unshare, "--net"], []
    return [], NO_NETWORK


def run_browser(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def probe(
    browser: str,
    prefix: list[str],
    flags: list[str],
    page: Path,
    work: Path,
    own_traffic: frozenset[str] = frozenset(),
) -> dict:
    """Load ``page`` in a probe page; what it requested and drew. URLs in ``own_traffic``
    (the browser's own background requests, seen with a blank page) are left out."""
    probe_page = work / f"probe-{page.parent.name}-{page.stem}.html"
    probe_page.write_text(PROBE % {"url": html.escape(page.resolve().as_uri())}, encoding="utf-8")
    netlog = work / f"netlog-{page.parent.name}-{page.stem}.json"
    command = [
        *prefix,
        browser,
        *QUIET,
        *flags,
        f"--log-net-log={netlog}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        probe_page.as_uri(),
    ]
    done = run_browser(command)
    match = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    if not match or match.group(1) == "pending":
        return {"error": f"the probe did not finish: {done.stderr.strip()[-300:]}"}
    result = json.loads(html.unescape(match.group(1)))
    log = netlog.read_text(encoding="utf-8", errors="replace") if netlog.exists() else ""
    urls = set(re.findall(r'"url":"((?:https?|wss?)://[^"]+)"', log))
    result["network_log_urls"] = sorted(u for u in urls if _without_query(u) not in own_traffic)
    return result


def browser_traffic(browser: str, prefix: list[str], flags: list[str], work: Path) -> frozenset:
    """The URLs (without query) the browser requests by itself, with a blank page."""
    blank = work / "blank" / "00_blank.html"
    blank.parent.mkdir()
    blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    result = probe(browser, prefix, flags, blank, work)
    return frozenset(_without_query(u) for u in result.get("network_log_urls", []))


def screenshot(browser: str, prefix: list[str], flags: list[str], page: Path, png: Path) -> None:
    command = [
        *prefix,
        browser,
        *QUIET,
        *flags,
        "--window-size=1280,3000",
        "--virtual-time-budget=5000",
        f"--screenshot={png}",
        page.resolve().as_uri(),
    ]
    run_browser(command)


def problems_of(result: dict) -> list[str]:
    if "error" in result:
        return [result["error"]]
    found = []
    if result["network_log_urls"] or result["resource_requests"]:
        found.append(f"requests: {result['network_log_urls'] + result['resource_requests']}")
    if result["math_drawn"] != result["math"]:
        found.append(f"{result['math'] - result['math_drawn']} formula(s) not drawn")
    if result["broken_images"]:
        found.append(f"broken images: {result['broken_images'][:3]}")
    if result["contents_without_target"]:
        found.append(f"contents links without target: {result['contents_without_target']}")
    if result["scripts"]:
        found.append(f"{result['scripts']} script element(s)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="?", default="reports", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("skipped: no Chromium or Chrome found (apt-get install -y chromium)")
        return 0
    pages = [args.reports / "index.html", *sorted(args.reports.glob("*/[0-9][0-9]_*.html"))]
    pages = [p for p in pages if p.is_file()]
    if not pages:
        print(f"{args.reports}: no report pages (run make reports first)", file=sys.stderr)
        return 1
    shots = args.screenshots or Path(tempfile.mkdtemp(prefix="spinemets-screenshots-"))
    shots.mkdir(parents=True, exist_ok=True)
    prefix, flags = offline_prefix()
    version = run_browser([browser, "--version"]).stdout.strip()
    how = "in a network namespace of its own" if prefix else "with hosts resolved to nowhere"
    print(f"{version}, network off ({how}); screenshots in {shots}")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="spinemets-probe-") as work:
        own = browser_traffic(browser, prefix, flags, Path(work))
        if own:
            print(f"left out, the browser's own background requests: {', '.join(sorted(own))}")
        for page in pages:
            result = probe(browser, prefix, flags, page, Path(work), own)
            name = page.relative_to(args.reports).as_posix()
            screenshot(browser, prefix, flags, page, shots / (name.replace("/", "__") + ".png"))
            problems = problems_of(result)
            failed += bool(problems)
            summary = (
                f"math {result.get('math_drawn', '?')}/{result.get('math', '?')} drawn, "
                f"{result.get('images', '?')} images, {result.get('contents', '?')} contents links"
            )
            print(f"{'FAIL' if problems else 'ok  '}  {name}: {summary}")
            for problem in problems:
                print(f"        {problem}")
    print(f"{len(pages) - failed} of {len(pages)} page(s) passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
