"""Pictures and files a contact sends: fetched by their download code (the codes expire) into
the evidence store, `<data_dir>/evidence/dingtalk/`, named by their content's hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from services.reports import EvidenceFile


async def store_files(
    fetch: Callable[[str], Awaitable[bytes]] | None,
    store: Path,
    files: Sequence[tuple[str, str, str]],
) -> list[EvidenceFile]:
    """(download code, photo|document, file name) → stored files, as report evidence."""
    out: list[EvidenceFile] = []
    if fetch is None:
        return out
    folder = store / "dingtalk"
    folder.mkdir(parents=True, exist_ok=True)
    for code, kind, name in files:
        content = await fetch(code)
        digest = hashlib.sha256(content).hexdigest()
        fallback = "picture.jpg" if kind == "photo" else "file"
        safe = re.sub(r"[^\w.\-]+", "_", name)[-80:] or fallback
        path = folder / f"{digest[:16]}-{safe}"
        path.write_bytes(content)
        out.append(
            EvidenceFile(
                file_id=f"dingtalk:{path.relative_to(store).as_posix()}",
                file_unique_id=digest[:32],
                kind=kind,
                file_name=name or safe,
            )
        )
    return out
