"""Screenshot an HTML report with headless Chromium, the way a phone shows it.

    python docs/tools/screenshot.py report.html out.png [--width 390] [--height 2400] [--scale 2]

Without --height the whole page is captured: a first Chromium run lays the page out at the given width and
reports its height, a second one shoots a window that tall. Network access is blocked in both runs, so the
picture also proves that the report needs nothing from outside the file.

Needs Chromium (Debian: `apt-get install chromium`; or set CHROMIUM=/path/to/chrome) and, for the Chinese
text, a CJK font (Debian: `apt-get install fonts-noto-cjk`), or the text draws as empty boxes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT = 60
# Page heights beyond this are cut: Chromium's screenshots of very tall windows fail or take minutes.
MAX_HEIGHT = 16000


def find_chromium() -> str | None:
    """The Chromium binary: $CHROMIUM, else the first browser on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def chromium_args(binary: str, profile: str, width: int, height: int, scale: float) -> list[str]:
    """The headless flags shared by both runs."""
    args = [
        binary,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--mute-audio",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--force-device-scale-factor={scale}",
        # Every host name fails to resolve: a report that loads anything from the network shows it.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox (containers, CI)
    return args


def page_height(binary: str, page: Path, width: int, profile: str) -> int:
    """The page's full height at this width, read from a copy of it that writes its height into the DOM."""
    probe = (
        "<script>addEventListener('load',()=>{const m=document.createElement('meta');m.name='probe-height';"
        "m.content=Math.ceil(document.documentElement.scrollHeight);document.head.appendChild(m);});</script>"
    )
    text = page.read_text(encoding="utf-8")
    # The copy goes in the scratch directory, not next to the report: a report is one self-contained file.
    copy = Path(profile) / "probe.html"
    copy.write_text(text.replace("</body>", probe + "</body>", 1) if "</body>" in text else text + probe, "utf-8")
    try:
        result = subprocess.run(
            [*chromium_args(binary, profile, width, 800, 1), "--dump-dom", copy.as_uri()],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    finally:
        copy.unlink(missing_ok=True)  # the profile directory is removed later; the copy could be large
    found = re.search(r'name="probe-height" content="(\d+)"', result.stdout)
    if not found:
        sys.exit(f"screenshot: could not measure the page height (chromium said: {result.stderr.strip()[-400:]})")
    return int(found.group(1))


def screenshot(binary: str, page: Path, out: Path, width: int, height: int, scale: float, profile: str) -> None:
    """One headless run that writes the PNG."""
    result = subprocess.run(
        [*chromium_args(binary, profile, width, height, scale), f"--screenshot={out.resolve()}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode != 0 or not out.exists():
        sys.exit(f"screenshot: chromium failed ({result.returncode}): {result.stderr.strip()[-600:]}")


def has_cjk_font() -> bool | None:
    """Whether fontconfig knows a Chinese font (None when fc-list is not there to ask)."""
    if not shutil.which("fc-list"):
        return None
    result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(result.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, check the tools, shoot."""
    parser = argparse.ArgumentParser(description="Screenshot an HTML file with headless Chromium (full page).")
    parser.add_argument("html", type=Path, help="the HTML file")
    parser.add_argument("png", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=390, help="viewport width in CSS pixels (default 390, a phone)")
    parser.add_argument("--height", type=int, default=None, help="viewport height (default: the whole page)")
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio (2 for a retina-sharp PNG)")
    args = parser.parse_args(argv)

    if not args.html.is_file():
        sys.exit(f"screenshot: no such file: {args.html}")
    binary = find_chromium()
    if binary is None:
        sys.exit(
            "screenshot: Chromium not found. Install it (Debian/Ubuntu: apt-get install -y chromium) "
            "or point CHROMIUM at a Chrome/Chromium binary."
        )
    if has_cjk_font() is False:
        print("screenshot: warning: no Chinese font installed; install fonts-noto-cjk", file=sys.stderr)
    page = args.html.resolve()
    with tempfile.TemporaryDirectory(prefix="chatlog-shot-") as profile:
        height = args.height or min(page_height(binary, page, args.width, profile), MAX_HEIGHT)
        screenshot(binary, page, args.png, args.width, height, args.scale, profile)
    print(f"{args.png} ({args.width}×{height} CSS px, scale {args.scale:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
