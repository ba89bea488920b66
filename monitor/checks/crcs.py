"""The crc32 of every fixed-width window of a text at once, as ``zlib.crc32(text[i:i + width].encode())`` gives each
(UTF-8): the copy prints' shingle hashes (``shingles``), ~3× faster than hashing each window's string in Python, which
was ~2.5 ms of a long report's prints.

CRC-32 is linear: after a window's characters c_0 … c_{w-1}, whose UTF-8 takes ``n`` bytes, its register holds
Z^n(0xFFFFFFFF) XOR the sum over j of Z^{after_j}(C(c_j)), where C(c) is the register a character leaves from 0,
Z^k what k zero bytes do to a register and after_j the bytes of the window after c_j. ``_TABLES`` holds
Z^a(C(c)) for every character of the Basic Multilingual Plane and every ``a`` a window can have (5 MiB, worked out
once a process in ~10 ms: a reader's forkserver loads this module, so its readers share them); a window holding a
character beyond the plane (a rare 生僻字 of CJK Extension B) is hashed by zlib.

Imported only where prints or copy checks are made (numpy): ``govmon check`` of a page loads none of it.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

PLANE = 0x10000  # characters with a row in the tables; the rest are hashed one window at a time
MOST = 4  # bytes of one character in UTF-8
WIDTH = 6  # the widest window the tables serve (shingles.SHINGLE)
_FULL = 0xFFFFFFFF


def _build() -> tuple[Any, Any, Any]:
    """The byte table, the characters' UTF-8 lengths, and Z^a(C(c)) by ``a`` (0 … MOST·(WIDTH-1)) and character."""
    byte = np.array([zlib.crc32(bytes([v]), _FULL) ^ _FULL for v in range(256)], dtype=np.uint32)  # C of one byte
    code = np.arange(PLANE, dtype=np.uint32)
    lengths = np.where(code < 0x80, 1, np.where(code < 0x800, 2, 3)).astype(np.int64)
    # the UTF-8 bytes of each character, lead byte first (a surrogate's too: never in a text, which cannot encode it)
    first = np.where(code < 0x80, code, np.where(code < 0x800, 0xC0 | (code >> 6), 0xE0 | (code >> 12)))
    second = np.where(code < 0x800, 0x80 | (code & 0x3F), 0x80 | ((code >> 6) & 0x3F))
    third = 0x80 | (code & 0x3F)
    register = byte[first & 0xFF]
    for more, nxt in ((2, second), (3, third)):  # the next byte, where the character has it
        stepped = (register >> np.uint32(8)) ^ byte[(register ^ nxt) & 0xFF]
        register = np.where(lengths >= more, stepped, register)
    tables = np.empty((MOST * (WIDTH - 1) + 1, PLANE), dtype=np.uint32)
    tables[0] = register
    for a in range(1, len(tables)):  # one zero byte more
        tables[a] = (tables[a - 1] >> np.uint32(8)) ^ byte[tables[a - 1] & 0xFF]
    return byte, lengths, tables


_BYTE, _LENGTHS, _TABLES = _build()


def _zeros(register: int, count: int) -> int:
    """Z^count of a register."""
    for _ in range(count):
        register = (register >> 8) ^ int(_BYTE[register & 0xFF])
    return register


_START = np.array([_zeros(_FULL, n) for n in range(MOST * WIDTH + 1)], dtype=np.uint32)  # Z^n(0xFFFFFFFF)


def window_crcs(text: str, width: int) -> Any:
    """``zlib.crc32(text[i:i + width].encode())`` for each window of ``text`` (``width`` ≤ WIDTH), as uint32s."""
    count = len(text) - width + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    code = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    beyond = code >= PLANE
    rows = np.where(beyond, 0, code).astype(np.int64) if beyond.any() else code.astype(np.int64)
    ends = np.zeros(len(code) + 1, dtype=np.int64)  # each character's end, in bytes
    np.cumsum(_LENGTHS[rows], out=ends[1:])
    last = ends[width : width + count]
    crcs = _START[last - ends[:count]] ^ np.uint32(_FULL)  # as if every character gave nothing
    flat = _TABLES.reshape(-1)
    for j in range(width):
        after = last - ends[j + 1 : j + 1 + count]
        crcs ^= flat[after * PLANE + rows[j : j + count]]
    if beyond.any():  # the windows holding a character beyond the plane: by zlib
        hit = np.convolve(beyond.astype(np.int8), np.ones(width, dtype=np.int8), mode="valid").nonzero()[0]
        crcs[hit] = [zlib.crc32(text[i : i + width].encode()) for i in hit.tolist()]
    return crcs
