"""Reading a credential the config points at: an environment variable, else a file.

Both chat channels keep their credential this way (Telegram's bot token, DingTalk's
AppSecret): never in the config itself."""

from __future__ import annotations

import os
from pathlib import Path

from duban.errors import UserError


def read_secret(
    table: str,
    env_name: str,
    file_key: str,
    file_name: str,
    base_dir: Path,
    environ: dict[str, str] | None = None,
    *,
    outside_repo: bool = False,
) -> str:
    """The value of $env_name, else the content of file_name (relative to the config's
    folder), else "". An unreadable file — or, with outside_repo, one inside a git work tree —
    is a UserError naming `[table] file_key`."""
    env = os.environ if environ is None else environ
    secret = env.get(env_name, "").strip()
    if secret or not file_name:
        return secret
    path = Path(file_name)
    path = path if path.is_absolute() else base_dir / path
    repo = _work_tree(path) if outside_repo else None
    if repo is not None:
        raise UserError(
            f"[{table}] {file_key} = {file_name!r} lies inside the git repository {repo}: "
            "keep the secret outside it (e.g. /etc/duban/)"
        )
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UserError(
            f"[{table}] {file_key} = {file_name!r}: cannot read {path}: {exc.strerror}"
        ) from exc


def _work_tree(path: Path) -> Path | None:
    for folder in path.resolve().parents:
        if (folder / ".git").exists():
            return folder
    return None
