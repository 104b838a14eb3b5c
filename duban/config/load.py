"""Loading the config: --config PATH, $DUBAN_CONFIG or ./config.toml, validated against the schema.
Every error names the file, the key path and, where the TOML text allows, the line."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from duban.config.schema import Config, KeyedError

DEFAULT_CONFIG_NAME = "config.toml"
CONFIG_ENV = "DUBAN_CONFIG"


class ConfigError(Exception):
    """A config file that cannot be used; the message is meant for the admin."""


# --- locating keys in the TOML text, for line numbers in error messages -------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map key paths like ('units', '3', 'kind') to the 1-based line where they are written."""
    lines: dict[tuple[str, ...], int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            path = tuple(p.strip().strip("\"'") for p in header.group(2).split("."))
            if header.group(1) == "[[":
                index = array_counts.get(path, 0)
                array_counts[path] = index + 1
                current = (*path, str(index))
            else:
                current = path
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*current, key.group(1).strip("\"'")), number)
    return lines


def _line_for(path: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> int | None:
    """The line of the longest prefix of path that the text names."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _split_path(dotted: str) -> tuple[str, ...]:
    parts: list[str] = []
    for piece in dotted.split("."):
        parts.extend(p for p in re.split(r"\[(\d+)\]", piece) if p)
    return tuple(parts)


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_config(text: str, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate config text; raise ConfigError naming source, key path and line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: TOML syntax error: {exc}") from exc
    if not raw:
        # Every key has a default, but a file without one is a mistake (an empty or truncated
        # copy), not a district: without units every import would fail name by name.
        raise ConfigError(
            f"{source}: the config is empty (no settings at all): start from the example, "
            "`cp config.example.toml config.toml`"
        )
    lines = _key_lines(text)
    try:
        return Config.model_validate({**raw, "base_dir": base_dir or Path(".")})
    except ValidationError as exc:
        messages = []
        for err in exc.errors():
            ctx_error = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_error, KeyedError):
                path = ctx_error.path
                msg = ctx_error.message
            else:
                path = _format_loc(err["loc"])
                msg = _plain_message(err)
            parts = _split_path(path)
            line = _line_for(parts, lines) if parts else None
            where = f"{source}:{line}" if line else source
            messages.append(f"{where}: {path or '(top level)'}: {msg}")
        raise ConfigError("\n".join(messages)) from None


def _plain_message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see config.example.toml)"
    if err["type"] == "missing":
        return "required key is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if err["type"] not in ("value_error", "assertion_error") and not isinstance(value, dict | list):
        msg += f" (got {value!r})"
    return msg


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """--config PATH, else $DUBAN_CONFIG, else ./config.toml."""
    from_env = os.environ.get(CONFIG_ENV)
    chosen = Path(path or from_env or DEFAULT_CONFIG_NAME)
    if not chosen.exists():
        if path:
            hint = ""
        elif from_env:
            hint = f" (named by ${CONFIG_ENV})"
        else:
            hint = f" (pass --config PATH or set {CONFIG_ENV})"
        raise ConfigError(f"{chosen}: config file not found{hint}")
    if not chosen.is_file() and not chosen.is_dir():  # /dev/zero would be read for ever
        raise ConfigError(f"{chosen}: cannot read the config file: not a regular file")
    try:
        text = chosen.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{chosen}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot read the config file: {exc.strerror}") from exc
    return parse_config(text, source=str(chosen), base_dir=chosen.resolve().parent)


def example_config_path() -> Path:
    """The bundled example config (repo root in a checkout, a package copy when installed)."""
    here = Path(__file__).resolve().parent.parent  # duban/
    for candidate in (here.parent / "config.example.toml", here / "data" / "config.example.toml"):
        if candidate.exists():
            return candidate
    raise ConfigError("config.example.toml not found next to the package")
