"""The header of a local ``.gguf`` file: its metadata and tensor infos, never the tensor data.

A GGUF file (ggml's ``gguf.c``, formats 2 and 3) starts with the magic
``GGUF``, the version, the tensor count and the metadata count, then each
metadata key with its typed value, then each tensor's name, dimensions, ggml
type and offset; the tensor data follows, aligned to ``general.alignment``
(32 when absent). :func:`read_gguf` maps the file and reads only that header,
so a file of any size reads in milliseconds; every count and length is
checked against the bytes left before anything is read, so a hostile file is
refused at once with a one-line :class:`GGUFError` naming what is wrong.

>>> import struct
>>> header = b"GGUF" + struct.pack("<IQQ", 3, 0, 0)
>>> parse_gguf(header, "empty.gguf").version
3
>>> parse_gguf(b"GGML" + header[4:], "old.gguf")
Traceback (most recent call last):
...
paramcalc.gguf.reader.GGUFError: old.gguf: not a GGUF file: it starts with b'GGML', not b'GGUF'
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paramcalc.errors import ParamcalcError
from paramcalc.gguf.types import GGML_TYPE_IDS

__all__ = [
    "MAX_NESTING",
    "GGUFArray",
    "GGUFError",
    "GGUFFile",
    "TensorInfo",
    "parse_gguf",
    "read_gguf",
]

MAX_NESTING = 8
"""The deepest array of arrays read (real files nest at most once, in tokenizer merges of some)."""

MAX_NAME = 64
"""ggml's ``GGML_MAX_NAME``: a tensor name is at most 63 bytes (llama.cpp refuses longer)."""

MAX_DIMS = 4
"""ggml's ``GGML_MAX_DIMS``."""

KEPT = 1024
"""Arrays up to this many elements keep their values; longer ones (vocabularies) their count."""

_SCALARS: dict[int, tuple[str, str]] = {
    0: ("uint8", "<B"),
    1: ("int8", "<b"),
    2: ("uint16", "<H"),
    3: ("int16", "<h"),
    4: ("uint32", "<I"),
    5: ("int32", "<i"),
    6: ("float32", "<f"),
    7: ("bool", "<?"),
    10: ("uint64", "<Q"),
    11: ("int64", "<q"),
    12: ("float64", "<d"),
}
_STRING, _ARRAY = 8, 9
_U32, _U64 = struct.Struct("<I"), struct.Struct("<Q")


class GGUFError(ParamcalcError):
    """A ``.gguf`` file cannot be read: the message names the file, the field and the value."""


@dataclass(frozen=True)
class GGUFArray:
    """A metadata array: its element type, its length, its bytes in the file, and its values.

    ``values`` holds the elements when there are at most :data:`KEPT` of
    them, else ``None`` (a 150,000-token vocabulary is read past, not kept).
    """

    element_type: str
    count: int
    nbytes: int
    values: tuple[Any, ...] | None

    def __len__(self) -> int:
        return self.count


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header describes it.

    ``shape`` is in PyTorch's order (ggml's ``ne`` reversed: a ``(4096, 11008)``
    Linear weight is ``ne = [11008, 4096]``); ``offset`` is from the start of
    the data section; ``nbytes`` the bytes of its data (without padding).
    """

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    nbytes: int

    @property
    def type_name(self) -> str:
        """The ggml type's name, ``"q4_K"``, ``"f16"`` (as ``type_traits[].type_name``)."""
        return GGML_TYPE_IDS[self.ggml_type].name

    @property
    def numel(self) -> int:
        """The number of elements."""
        count = 1
        for size in self.shape:
            count *= size
        return count


@dataclass(frozen=True)
class GGUFFile:
    """A GGUF header: the version, the metadata, the tensor infos and where the data lies.

    ``metadata_bytes`` is the size of the key-value section (keys, types and
    values); ``header_bytes`` the size of the header up to the end of the
    last tensor info; ``data_offset`` the start of the data (the header padded to
    ``alignment``); ``file_size`` the whole file's bytes.
    """

    path: str
    version: int
    metadata: Mapping[str, Any]
    tensors: tuple[TensorInfo, ...]
    alignment: int
    metadata_bytes: int
    header_bytes: int
    data_offset: int
    file_size: int

    @property
    def tensor_bytes(self) -> int:
        """The bytes of the tensor data, padding between tensors included."""
        return self.file_size - self.data_offset

    def bytes_by_type(self) -> dict[str, int]:
        """The data bytes of the tensors of each ggml type (without padding), largest first."""
        totals: dict[str, int] = {}
        for tensor in self.tensors:
            totals[tensor.type_name] = totals.get(tensor.type_name, 0) + tensor.nbytes
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def params(self) -> int:
        """The elements of every tensor."""
        return sum(tensor.numel for tensor in self.tensors)


class _Cursor:
    """Reads little-endian fields from a buffer, each checked against the bytes left."""

    __slots__ = ("data", "name", "position", "size")

    def __init__(self, data: Any, name: str) -> None:
        self.data = data
        self.name = name
        self.position = 0
        self.size = len(data)

    def fail(self, what: str) -> GGUFError:
        return GGUFError(f"{self.name}: {what}")

    def need(self, count: int, what: str) -> None:
        left = self.size - self.position
        if count > left:
            raise self.fail(
                f"truncated: {what} needs {count:,} bytes at offset {self.position:,}, "
                f"the file has {left:,} left"
            )

    def u32(self, what: str) -> int:
        self.need(4, what)
        (value,) = _U32.unpack_from(self.data, self.position)
        self.position += 4
        return int(value)

    def u64(self, what: str) -> int:
        self.need(8, what)
        (value,) = _U64.unpack_from(self.data, self.position)
        self.position += 8
        return int(value)

    def string(self, what: str, limit: int | None = None) -> str:
        length = self.u64(f"the length of {what}")
        if limit is not None and length >= limit:
            raise self.fail(f"{what} is {length:,} bytes long; at most {limit - 1} are allowed")
        self.need(length, what)
        raw = bytes(self.data[self.position : self.position + length])
        self.position += length
        return raw.decode("utf-8", "replace")

    def count(self, what: str, smallest: int) -> int:
        """A count of items each at least ``smallest`` bytes long: refused if they cannot fit."""
        value = self.u64(what)
        room = (self.size - self.position) // smallest
        if value > room:
            raise self.fail(
                f"{what} is {value:,}, but the {self.size - self.position:,} bytes left "
                f"hold at most {room:,}"
            )
        return value


def _shown(key: str) -> str:
    """A key as messages show it: quoted, at most 60 characters."""
    return repr(key if len(key) <= 60 else key[:60] + "…")


def _smallest(kind: int) -> int:
    """The fewest bytes a value of this metadata type takes."""
    if kind in _SCALARS:
        return struct.calcsize(_SCALARS[kind][1])
    return 8 if kind == _STRING else 12


def _value(cursor: _Cursor, kind: int, key: str, depth: int) -> Any:
    if kind in _SCALARS:
        code = _SCALARS[kind][1]
        width = struct.calcsize(code)
        cursor.need(width, f"the value of {_shown(key)}")
        (value,) = struct.unpack_from(code, cursor.data, cursor.position)
        cursor.position += width
        return value
    if kind == _STRING:
        return cursor.string(f"the value of {_shown(key)}")
    if kind == _ARRAY:
        if depth >= MAX_NESTING:
            raise cursor.fail(f"{_shown(key)} nests arrays more than {MAX_NESTING} deep")
        element = cursor.u32(f"the element type of {_shown(key)}")
        _known(cursor, element, key)
        start = cursor.position
        count = cursor.count(f"the length of the array {_shown(key)}", _smallest(element))
        if element in _SCALARS:
            code = _SCALARS[element][1]
            width = struct.calcsize(code)
            values: tuple[Any, ...] | None = None
            if count <= KEPT:
                values = struct.unpack_from(f"<{count}{code[1]}", cursor.data, cursor.position)
            cursor.position += count * width
        elif element == _STRING and count > KEPT:
            _skip_strings(cursor, count, key)
            values = None
        else:
            items = [_value(cursor, element, key, depth + 1) for _ in range(count)]
            values = tuple(items) if count <= KEPT else None
        name = "array" if element == _ARRAY else _type_word(element)
        return GGUFArray(name, count, cursor.position - start + 4, values)
    raise cursor.fail(f"{_shown(key)} has the unknown metadata type {kind}")


def _skip_strings(cursor: _Cursor, count: int, key: str) -> None:
    """Step over ``count`` strings (a vocabulary), checking each length against the bytes left."""
    data, position, size, unpack = cursor.data, cursor.position, cursor.size, _U64.unpack_from
    for _ in range(count):
        if position + 8 > size:
            break
        position += 8 + unpack(data, position)[0]
        if position > size:
            break
    else:
        cursor.position = position
        return
    cursor.position = min(position, size)
    raise cursor.fail(f"truncated: an element of {_shown(key)} runs past the end of the file")


def _type_word(kind: int) -> str:
    return "string" if kind == _STRING else _SCALARS[kind][0]


def _known(cursor: _Cursor, kind: int, key: str) -> None:
    if kind not in _SCALARS and kind not in (_STRING, _ARRAY):
        raise cursor.fail(f"{_shown(key)} has the unknown metadata type {kind} (known: 0 to 12)")


def _alignment(cursor: _Cursor, metadata: Mapping[str, Any]) -> int:
    value = metadata.get("general.alignment", 32)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value & (value - 1):
        raise cursor.fail(f"general.alignment must be a power of two; it is {value!r:.40}")
    return value


def _tensor(cursor: _Cursor, index: int, names: set[str]) -> tuple[str, tuple[int, ...], int, int]:
    name = cursor.string(f"the name of tensor #{index}", MAX_NAME)
    if name in names:
        raise cursor.fail(f"the tensor name {name!r} appears twice")
    names.add(name)
    dims = cursor.u32(f"the dimension count of {name!r}")
    if not 1 <= dims <= MAX_DIMS:
        raise cursor.fail(f"tensor {name!r} has {dims:,} dimensions; ggml allows 1 to {MAX_DIMS}")
    ne = tuple(cursor.u64(f"the dimensions of {name!r}") for _ in range(dims))
    total = 1
    for size in ne:
        total *= size
    if total >= 2**63:
        raise cursor.fail(f"tensor {name!r} has {total:,} elements, past ggml's int64")
    kind = cursor.u32(f"the type of {name!r}")
    offset = cursor.u64(f"the offset of {name!r}")
    return name, ne, kind, offset


def parse_gguf(data: Any, name: str = "<gguf>", file_size: int | None = None) -> GGUFFile:
    """The header in ``data`` (bytes, a memoryview or an mmap), named ``name`` in errors.

    ``file_size`` is the whole file's size when ``data`` holds only its start
    (default: ``len(data)``, the whole file).
    """
    cursor = _Cursor(data, name)
    cursor.need(4, "the magic")
    magic = bytes(data[:4])
    if magic != b"GGUF":
        raise cursor.fail(f"not a GGUF file: it starts with {magic!r}, not b'GGUF'")
    cursor.position = 4
    version = cursor.u32("the version")
    if version & 0xFFFF == 0 and version:
        raise cursor.fail(
            f"the version reads {version:#x}: a big-endian GGUF file, which paramcalc does not read"
        )
    if version not in (2, 3):
        raise cursor.fail(f"GGUF version {version} is not supported (2 and 3 are)")
    tensor_count = cursor.count("the tensor count", 24 + 8)
    kv_count = cursor.count("the metadata count", 8 + 4 + 1)
    metadata: dict[str, Any] = {}
    start = cursor.position
    for index in range(kv_count):
        key = cursor.string(f"metadata key #{index}")
        if key in metadata:
            raise cursor.fail(f"the metadata key {_shown(key)} appears twice")
        kind = cursor.u32(f"the type of {_shown(key)}")
        _known(cursor, kind, key)
        metadata[key] = _value(cursor, kind, key, 0)
    metadata_bytes = cursor.position - start
    alignment = _alignment(cursor, metadata)
    names: set[str] = set()
    raw = [_tensor(cursor, index, names) for index in range(tensor_count)]
    header_bytes = cursor.position
    data_offset = -(-header_bytes // alignment) * alignment
    size = len(data) if file_size is None else file_size
    tensors = []
    expected = 0
    for tensor_name, ne, kind, offset in raw:
        traits = GGML_TYPE_IDS.get(kind)
        if traits is None:
            raise cursor.fail(f"tensor {tensor_name!r} has the unknown ggml type {kind}")
        if ne[0] % traits.block:
            raise cursor.fail(
                f"tensor {tensor_name!r} is {traits.name} with rows of {ne[0]:,}, not a multiple "
                f"of its block of {traits.block}"
            )
        nbytes = ne[0] // traits.block * traits.bytes
        for other in ne[1:]:
            nbytes *= other
        if offset != expected:
            raise cursor.fail(
                f"tensor {tensor_name!r} has offset {offset:,}; ggml expects {expected:,} "
                f"(each tensor follows the last, padded to {alignment})"
            )
        expected = offset + -(-nbytes // alignment) * alignment
        tensors.append(TensorInfo(tensor_name, tuple(reversed(ne)), kind, offset, nbytes))
    end = data_offset + tensors[-1].offset + tensors[-1].nbytes if tensors else 0
    if end > size:
        raise cursor.fail(f"truncated: the tensor data ends at byte {end:,}, the file has {size:,}")
    return GGUFFile(
        name,
        version,
        metadata,
        tuple(tensors),
        alignment,
        metadata_bytes,
        header_bytes,
        data_offset,
        size,
    )


def read_gguf(path: str | os.PathLike[str]) -> GGUFFile:
    """Read the header of the ``.gguf`` file at ``path`` (mapped, not loaded: any size is fast).

    >>> read_gguf("no-such.gguf")
    Traceback (most recent call last):
    ...
    paramcalc.gguf.reader.GGUFError: no-such.gguf: cannot open: No such file or directory
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return parse_gguf(b"", name)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                view = memoryview(mapped)
                try:
                    return parse_gguf(view, name, size)
                finally:
                    view.release()
    except OSError as problem:
        raise GGUFError(f"{name}: cannot open: {problem.strerror or problem}") from None
