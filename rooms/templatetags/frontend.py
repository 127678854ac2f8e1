"""`{% frontend_assets %}`: the script and stylesheet tags of the Vite build, read from its manifest."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

ENTRY = "src/main.tsx"


@lru_cache(maxsize=4)
def _manifest(path: Path, mtime: float) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest


def _entry() -> dict[str, Any] | None:
    path = Path(settings.FRONTEND_DIST_DIR) / ".vite" / "manifest.json"
    if not path.exists():
        return None
    return _manifest(path, path.stat().st_mtime).get(ENTRY)


@register.simple_tag
def frontend_assets() -> SafeString:
    entry = _entry()
    if entry is None:
        return format_html(
            '<p class="no-build">The front end is not built yet: run <code>make run</code> '
            "(or <code>npm --prefix frontend run build</code>).</p>"
        )
    styles = format_html_join("", '<link rel="stylesheet" href="{}">', ((static(css),) for css in entry.get("css", [])))
    script = format_html('<script type="module" src="{}"></script>', static(entry["file"]))
    return styles + script
