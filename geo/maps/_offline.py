"""Inline the vendored Leaflet assets into an HTML page, so a map opens with no network at all.

The files in ``geo/maps/assets/`` come unmodified from npm (see VENDOR.md there). Images referenced by the CSS
become ``data:`` URIs and source-map comments are dropped, so the browser never asks for another file.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources

__all__ = ["asset", "inline_css", "inline_js", "json_for_script"]

_SOURCEMAP = re.compile(r"^\s*/[/*][#@] sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/)?([\w.-]+\.png)\1\)")


@cache
def asset(name: str) -> bytes:
    """Bytes of a vendored file, e.g. ``asset("leaflet.js")``."""
    return resources.files("geo.maps").joinpath("assets", name).read_bytes()


def _data_uri(match: re.Match[str]) -> str:
    png = base64.b64encode(asset(match.group(3))).decode("ascii")
    return f'url("data:image/png;base64,{png}")'


def inline_css(*names: str) -> str:
    """``<style>`` elements with the vendored stylesheets, their images embedded."""
    parts = []
    for name in names:
        css = _SOURCEMAP.sub("", asset(name).decode("utf-8"))
        parts.append(f"<style>/* {name} */\n{_CSS_URL.sub(_data_uri, css).strip()}\n</style>")
    return "\n".join(parts)


def inline_js(*names: str) -> str:
    """``<script>`` elements with the vendored scripts (no external ``src``)."""
    parts = []
    for name in names:
        js = _SOURCEMAP.sub("", asset(name).decode("utf-8")).strip()
        if "</script" in js.lower():  # would end the element early; the vendored files never contain it
            raise ValueError(f"{name} contains '</script' and cannot be inlined")
        parts.append(f"<script>/* {name} */\n{js}\n</script>")
    return "\n".join(parts)


def json_for_script(text: str) -> str:
    """Make JSON text safe inside ``<script type="application/json">``: no ``</script>``, no ``<!--``."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
