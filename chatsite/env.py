"""Typed readers for settings that come from the environment.

Kept apart from settings.py so that every variable the project reads is parsed the same way
and a bad value fails at start-up with the variable's name, not deep inside a request.
"""

import os
from pathlib import Path
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    """An empty value counts as unset, so `VAR=` in a .env file falls back to the default."""
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if parsed < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {parsed}")
    return parsed


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def load_dotenv(path: Path | None = None) -> None:
    """Read `NAME=value` lines of a .env file (DOTENV_FILE, or `.env` beside manage.py) into the
    environment, never over a variable the environment already has: what the shell, systemd or
    compose set wins. Blank lines, `#` comments and empty values (`NAME=`, as in .env.example:
    the default applies) are skipped, an `export ` prefix is allowed, and one pair of matching
    quotes around a value is removed; nothing is expanded. Every entry point (manage.py, Daphne,
    the tests, `make`'s commands) reads .env through here, so they all read it alike."""
    if path is None:
        path = Path(env_str("DOTENV_FILE", str(Path(__file__).resolve().parent.parent / ".env")))
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name.isidentifier():
            raise ImproperlyConfigured(f"{path}:{number}: expected NAME=value, got {line!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if value:
            os.environ.setdefault(name, value)
