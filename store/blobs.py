"""Compressed blobs: raw cards and licence files are kept byte-exact but small."""

import zlib


def pack(data: bytes | None) -> bytes | None:
    return None if data is None else zlib.compress(data, 6)


def unpack(blob: bytes | None) -> bytes | None:
    return None if blob is None else zlib.decompress(blob)
