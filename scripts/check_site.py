"""Check that the documentation site renders in headless Chromium.

The script serves the built site on 127.0.0.1 (a free port, stdlib
`http.server`) and loads pages with `chromium --headless --dump-dom`. It checks:

- the home page and the `keras_logogan.models` API page show their expected
  headings in the rendered DOM;
- every <img> on the home page has loaded (`complete` and `naturalWidth > 0`).
  A checker page that the server generates loads the home page in an iframe,
  and its script writes the result of each image into its own DOM, which
  `--dump-dom` then prints;
- no request that these pages make (scripts, styles, images) gets an HTTP
  error from the server.

Usage:
    python scripts/check_site.py              # builds the site with mkdocs first
    python scripts/check_site.py --site site  # checks an already built folder

Exit status: 0 when every check passes, 1 when a check fails, 2 when the site
cannot be built. Without Chromium it prints a line starting with "SKIP:" and
exits with 0.
"""

import argparse
import functools
import html
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_TIMEOUT_S = 90
CHECKER_PATH = "/__check_images__.html"

# Page path, then headings that must appear in its DOM: the <h1> text, and
# the ids of headings that mkdocstrings renders for documented objects.
EXPECTED_HEADINGS = {
    "/": {"h1": "keras-logogan", "ids": ()},
    "/api/models/": {
        "h1": "keras_logogan.models",
        "ids": ("keras_logogan.models.LogoGAN", "keras_logogan.models.LogoGAN.generate"),
    },
}

# The page's script creates the iframe itself, so the load listener is
# attached before the home page can finish loading. The parent page's load event waits for the iframe,
# so the results are in the DOM when Chromium dumps it.
CHECKER_PAGE = """<!doctype html>
<html><head><link rel="icon" href="data:,"></head><body>
<pre id="result">pending</pre>
<script>
const frame = document.createElement("iframe");
frame.style.width = "1280px";
frame.style.height = "8000px";
frame.addEventListener("load", () => {
  const lines = [];
  for (const image of frame.contentDocument.images) {
    const loaded = image.complete && image.naturalWidth > 0;
    lines.push((loaded ? "LOADED " : "BROKEN ") + image.getAttribute("src"));
  }
  document.getElementById("result").textContent =
    "images: " + lines.length + "\\n" + lines.join("\\n");
});
frame.src = "/";
document.body.appendChild(frame);
</script>
</body></html>
"""


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder and the checker page, and records failed requests."""

    failed_requests = []

    def do_GET(self):
        if self.path == CHECKER_PATH:
            body = CHECKER_PAGE.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_request(self, code="-", size="-"):
        if isinstance(code, int) and code >= 400:
            self.failed_requests.append(f"{code} {self.path}")

    def log_message(self, format, *args):
        pass


def find_browser():
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def build_site(site_dir):
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
    print("Building the site:", " ".join(command))
    return subprocess.run(command).returncode == 0


def dump_dom(browser, url, profile_dir):
    """Return the DOM of `url` after its load event, as Chromium serialises it."""
    command = [
        browser,
        "--headless",
        # Chromium's sandbox does not start as root, which CI containers often are.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        # Resolve no host name but 127.0.0.1, so the check never reaches the
        # network (Material for MkDocs loads Google Fonts and GitHub repository
        # facts by default) and its result depends only on the site folder.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile_dir}",
        "--dump-dom",
        url,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"Chromium failed on {url} with exit status {result.returncode}:\n"
            f"{result.stderr[-2000:]}"
        )
    return result.stdout


def heading_text(markup):
    """Return the text of an <h1>, without tags and the permalink sign."""
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return text.replace("\u00b6", "").strip()


def check_headings(dom, path, expected):
    """Return the failure messages for one page's expected headings."""
    failures = []
    titles = [heading_text(match) for match in re.findall(r"<h1[^>]*>(.*?)</h1>", dom, re.S)]
    if expected["h1"] not in titles:
        failures.append(
            f"{path}: no <h1> reads {expected['h1']!r}. Headings found: {titles}"
        )
    for heading_id in expected["ids"]:
        if f'id="{heading_id}"' not in dom:
            failures.append(f"{path}: no element with id {heading_id!r}")
    return failures


def check_images(dom):
    """Return the image lines written by the checker page, and failure messages."""
    match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    result = html.unescape(match.group(1)) if match else "missing"
    if not result.startswith("images: "):
        return [], [
            f"The image check script did not finish (result: {result!r}). "
            "The home page may not have loaded in the iframe."
        ]
    lines = result.splitlines()[1:]
    failures = [f"/: image did not load: {line[len('BROKEN '):]}" for line in lines if line.startswith("BROKEN ")]
    return lines, failures


def check_site(site_dir, browser):
    SiteHandler.failed_requests = []
    handler = functools.partial(SiteHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"Serving {site_dir} at {base_url}")

    failures = []
    try:
        with tempfile.TemporaryDirectory(prefix="check-site-profile-") as profile_dir:
            for path, expected in EXPECTED_HEADINGS.items():
                dom = dump_dom(browser, base_url + path, profile_dir)
                page_failures = check_headings(dom, path, expected)
                failures += page_failures
                print(f"{'FAIL' if page_failures else 'ok  '} headings on {path}")

            dom = dump_dom(browser, base_url + CHECKER_PATH, profile_dir)
            image_lines, image_failures = check_images(dom)
            failures += image_failures
            print(
                f"{'FAIL' if image_failures else 'ok  '} images on /: {len(image_lines)} found, "
                f"{len(image_failures)} not loaded"
            )
    finally:
        server.shutdown()
        server.server_close()

    failures += [f"HTTP error: {request}" for request in sorted(set(SiteHandler.failed_requests))]
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--site",
        type=Path,
        help="folder of an already built site. Without it, the script builds the site with mkdocs.",
    )
    args = parser.parse_args()

    browser = find_browser()
    if browser is None:
        print(
            f"SKIP: no Chromium found (looked for {', '.join(BROWSER_NAMES)}). "
            "On Debian: apt-get install -y chromium"
        )
        return 0
    print("Browser:", browser)

    with tempfile.TemporaryDirectory(prefix="check-site-") as build_dir:
        site_dir = args.site
        if site_dir is None:
            site_dir = Path(build_dir) / "site"
            if not build_site(site_dir):
                print("FAILED: mkdocs build --strict failed; see its output above.")
                return 2
        if not (site_dir / "index.html").is_file():
            print(f"FAILED: {site_dir} has no index.html. Build the site first, or omit --site.")
            return 2

        try:
            failures = check_site(site_dir.resolve(), browser)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            failures = [str(error)]

    if failures:
        print("FAILED: the site did not render as expected:")
        for failure in failures:
            print("  -", failure)
        return 1
    print("The site renders: headings present and every home page image loaded.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
