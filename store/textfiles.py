"""Small text files a user hands hubscan (reviews to import, an outside judge's labels): read whole,
bounded in size, with one clear message per way it can fail."""

from __future__ import annotations

from pathlib import Path


def read_bounded_text(path: Path, max_bytes: int, error: type[Exception]) -> str:
    """The file's text (UTF-8, a leading byte-order mark dropped), or `error` saying why not: too
    large, unreadable, or not UTF-8. The size is checked before anything is read."""
    try:
        if path.stat().st_size > max_bytes:
            raise error(f"{path.name}: larger than {max_bytes // 1_000_000} MB")
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: not UTF-8 text") from exc
