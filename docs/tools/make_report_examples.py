"""Regenerate the report examples in docs/: every report rendered from the bundled example exports.

    python docs/tools/make_report_examples.py            # needs the package installed (pip install -e .)

Imports examples/exports into a temporary store (as the README's first command does), runs `chatlog tag` and
`chatlog sentiment`, then:
- writes the terminal output of each report into docs/reports.md, between `<!-- report:NAME -->` and
  `<!-- /report:NAME -->` markers;
- writes the weekly report of WEEK as docs/examples/weekly-WEEK.{xlsx,html,md,json};
- screenshots the HTML at phone width into docs/examples/weekly-WEEK.png (docs/tools/screenshot.py; skipped with a
  message when Chromium is not installed).

The buyer tokens come from a fixed demo key so the files only change when the reports do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
WEEK = "2026-W45"
DEMO_KEY = "demo-key-for-the-docs-examples-only-0123456789"
# (marker, arguments after `chatlog report`)
TERMINAL_EXAMPLES = [
    ("frequency", ["frequency", "--since", WEEK, "--until", WEEK, "--top", "10"]),
    ("pivot", ["pivot", "--rows", "agent", "--cols", "platform", "--since", WEEK, "--until", WEEK]),
    (
        "pivot-first-response",
        ["pivot", "--rows", "weekday", "--values", "first-response", "--since", WEEK, "--until", WEEK],
    ),
    ("agents", ["agents", "--since", WEEK, "--until", WEEK, "--platform", "jd"]),
    ("hourly", ["hourly", "--since", "2026-W44", "--until", "2026-W47", "--platform", "jd"]),
]


def chatlog(*args: str, store: Path) -> str:
    """Run the CLI (a wide, colourless terminal) and return its output; stop on failure."""
    env = {**os.environ, "CHATLOG_REDACT_KEY": DEMO_KEY, "COLUMNS": "160", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "chatlog_cli", *args, "--store", str(store)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_store(store: Path) -> None:
    """The README's first command, then tags and sentiment."""
    exports = ROOT / "examples" / "exports"
    chatlog("import", *(str(exports / p) for p in ("jd", "pinduoduo", "youzan", "taobao")), store=store)
    custom = sorted(str(p) for p in (exports / "custom").glob("*.xlsx"))
    chatlog("import", *custom, "--map", str(exports / "custom" / "mapping.toml"), store=store)
    chatlog("tag", "-q", store=store)
    chatlog("sentiment", "-q", store=store)


def fill(markdown: str, name: str, text: str) -> str:
    """Replace what is between the markers of `name`."""
    pattern = re.compile(rf"(<!-- report:{re.escape(name)} -->\n).*?(<!-- /report:{re.escape(name)} -->)", re.S)
    if not pattern.search(markdown):
        sys.exit(f"docs/reports.md has no markers for {name}")
    command = next(" ".join(a) for n, a in TERMINAL_EXAMPLES if n == name)
    block = f"```text\n$ chatlog report {command}\n{text.rstrip()}\n```\n"
    return pattern.sub(lambda m: m.group(1) + block + m.group(2), markdown)


def main() -> None:
    """Build the store, fill docs/reports.md, write the weekly files and the screenshot."""
    examples = DOCS / "examples"
    examples.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        build_store(store)
        page = DOCS / "reports.md"
        markdown = page.read_text(encoding="utf-8")
        for name, args in TERMINAL_EXAMPLES:
            markdown = fill(markdown, name, chatlog("report", *args, store=store))
        page.write_text(markdown, encoding="utf-8")
        for suffix in ("xlsx", "html", "md", "json"):
            out = examples / f"weekly-{WEEK}.{suffix}"
            chatlog("report", "weekly", "--week", WEEK, "-o", str(out), store=store)
            print(f"wrote {out.relative_to(ROOT)}")
    html = examples / f"weekly-{WEEK}.html"
    png = examples / f"weekly-{WEEK}.png"
    shot = subprocess.run([sys.executable, str(DOCS / "tools" / "screenshot.py"), str(html), str(png)], check=False)
    if shot.returncode != 0:
        print("screenshot skipped (see the message above); the other files are up to date", file=sys.stderr)


if __name__ == "__main__":
    main()
