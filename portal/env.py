"""Strict environment parsing for the settings module.

django-environ reads the values (``FileAwareEnv`` also accepts ``<NAME>_FILE`` for secrets),
but it forgives too much: ``DEBUG=maybe`` would silently be False. These wrappers accept only
well-formed values and fail at start-up with a message naming the variable. Every name read is
remembered in ``READ_NAMES`` so a test can check that deployment files set only real settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_REQUIRED = object()

READ_NAMES: set[str] = set()

T = TypeVar("T")


class Environment:
    """Typed, strict accessors over the process environment."""

    def __init__(self) -> None:
        self._env = environ.FileAwareEnv()
        self._missing: list[str] = []

    def _raw(self, name: str) -> str | None:
        READ_NAMES.add(name)
        if name in os.environ:
            return os.environ[name]
        file_name = f"{name}_FILE"
        READ_NAMES.add(file_name)
        if file_name in os.environ:
            path = os.environ[file_name]
            try:
                with open(path, encoding="utf-8") as handle:
                    return handle.read().strip()
            except OSError as exc:
                raise ImproperlyConfigured(f"{file_name}: cannot read {path!r}: {exc}") from exc
        return None

    def str(self, name: str, default: str | None = None) -> str:
        value = self._raw(name)
        if value is None:
            if default is None:
                raise ImproperlyConfigured(f"{name} must be set")
            return default
        return value

    def secret(self, name: str, default: str | None = None) -> str:
        """A secret: from ``NAME`` or from the file named by ``NAME_FILE``."""
        value = self._raw(name)
        if value is None:
            if default is None:
                self._missing.append(f"{name} (or {name}_FILE) must be set")
                return ""
            return default
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")

    def _converted(self, name: str, default: T, convert: Callable[[str], T], kind: str) -> T:
        """`convert` of the value (`default` when unset); a value it refuses names `kind`."""
        value = self._raw(name)
        if value is None:
            return default
        try:
            return convert(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not {kind}") from None

    def int(self, name: str, default: int) -> int:
        return self._converted(name, default, int, "a whole number")

    def float(self, name: str, default: float) -> float:
        return self._converted(name, default, float, "a number")

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def db_url(self, name: str, default: str) -> dict:
        value = self._raw(name) or default
        scheme = value.split("://", 1)[0]
        if scheme not in {"sqlite", "postgres", "postgresql", "psql", "pgsql"}:
            raise ImproperlyConfigured(
                f"{name}={value.split('@')[-1]!r}: use postgres://... or sqlite:///..."
            )
        return self._env.db_url_config(value)

    def email_url(self, name: str, default: str) -> dict:
        """Django's EMAIL_* settings from one URL (django-environ's ``email_url``):
        ``smtp://host:25``, ``smtp+tls://user:pass@host:587``, ``smtp+ssl://...:465``,
        ``filemail:///path/to/folder`` or ``consolemail://``."""
        value = self._raw(name) or default
        scheme = value.split("://", 1)[0]
        if "://" not in value or scheme not in environ.Env.EMAIL_SCHEMES:
            raise ImproperlyConfigured(
                f"{name}: use smtp://, smtp+tls://, smtp+ssl://, filemail:// or consolemail://"
            )
        config = self._env.email_url_config(value)
        if scheme == "filemail":
            # django-environ drops the leading slash of an absolute folder.
            config["EMAIL_FILE_PATH"] = "/" + value.split("://", 1)[1].lstrip("/")
        elif scheme.startswith("smtp") and not config.get("EMAIL_HOST"):
            raise ImproperlyConfigured(f"{name}: an SMTP URL needs a host (smtp://host:25)")
        return config

    def check(self) -> None:
        """Raise once for every required value that was missing."""
        if self._missing:
            raise ImproperlyConfigured("; ".join(self._missing))
