"""ggml's tensor types: block size and bytes per block, as ggml stores them.

Ported from ``type_traits[]`` in ``ggml/src/ggml.c`` and the block structs
(``static_assert(sizeof(block_q4_K) == ...)``) in ``ggml/src/ggml-common.h``
of llama.cpp ggml-org/llama.cpp@0c1e57098 (vendored by llama-cpp-python
0.3.36). A row of ``n`` values of a type takes ``n / block * bytes`` bytes;
``n`` must be a multiple of the block.

>>> GGML_TYPES["q4_K"].block, GGML_TYPES["q4_K"].bytes
(256, 144)
>>> row_bytes("q8_0", 4096)
4352
"""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc.errors import ConfigError, ConfigTypeError

QK_K = 256  # ggml-common.h: the super-block of the k-quants and i-quants


@dataclass(frozen=True)
class GgmlType:
    """One ggml type: its enum value, name, block size and bytes per block."""

    id: int
    name: str
    block: int
    bytes: int
    quantized: bool

    @property
    def bits_per_weight(self) -> float:
        """Bits per value: ``8 * bytes / block`` (q4_K: 4.5)."""
        return 8 * self.bytes / self.block


def _t(id_: int, name: str, block: int, size: int, quantized: bool = True) -> GgmlType:
    return GgmlType(id_, name, block, size, quantized)


# enum ggml_type (ggml/include/ggml.h) and type_traits[] (ggml/src/ggml.c);
# byte sizes from the static_asserts of ggml-common.h (ggml_half is 2 bytes).
_TYPES = (
    _t(0, "f32", 1, 4, False),
    _t(1, "f16", 1, 2, False),
    _t(2, "q4_0", 32, 2 + 32 // 2),  # 18
    _t(3, "q4_1", 32, 2 * 2 + 32 // 2),  # 20
    _t(6, "q5_0", 32, 2 + 4 + 32 // 2),  # 22
    _t(7, "q5_1", 32, 2 * 2 + 4 + 32 // 2),  # 24
    _t(8, "q8_0", 32, 2 + 32),  # 34
    _t(9, "q8_1", 32, 2 * 2 + 32),  # 36
    _t(10, "q2_K", QK_K, 2 * 2 + QK_K // 16 + QK_K // 4),  # 84
    _t(11, "q3_K", QK_K, 2 + QK_K // 4 + QK_K // 8 + 12),  # 110
    _t(12, "q4_K", QK_K, 2 * 2 + 12 + QK_K // 2),  # 144
    _t(13, "q5_K", QK_K, 2 * 2 + 12 + QK_K // 2 + QK_K // 8),  # 176
    _t(14, "q6_K", QK_K, 2 + QK_K // 16 + 3 * QK_K // 4),  # 210
    _t(15, "q8_K", QK_K, 4 + QK_K + QK_K // 16 * 2),  # 292
    _t(16, "iq2_xxs", QK_K, 2 + QK_K // 8 * 2),  # 66
    _t(17, "iq2_xs", QK_K, 2 + QK_K // 8 * 2 + QK_K // 32),  # 74
    _t(18, "iq3_xxs", QK_K, 2 + 3 * (QK_K // 8)),  # 98
    _t(19, "iq1_s", QK_K, 2 + QK_K // 8 + QK_K // 16),  # 50
    _t(20, "iq4_nl", 32, 2 + 32 // 2),  # 18
    _t(21, "iq3_s", QK_K, 2 + 13 * (QK_K // 32) + 4),  # 110 (IQ3S_N_SCALE = QK_K/64)
    _t(22, "iq2_s", QK_K, 2 + QK_K // 4 + QK_K // 16),  # 82
    _t(23, "iq4_xs", QK_K, 2 + 2 + QK_K // 64 + QK_K // 2),  # 136
    _t(24, "i8", 1, 1, False),
    _t(25, "i16", 1, 2, False),
    _t(26, "i32", 1, 4, False),
    _t(27, "i64", 1, 8, False),
    _t(28, "f64", 1, 8, False),
    _t(29, "iq1_m", QK_K, QK_K // 8 + QK_K // 16 + QK_K // 32),  # 56
    _t(30, "bf16", 1, 2, False),
    _t(34, "tq1_0", QK_K, 2 + QK_K // 64 + (QK_K - 4 * QK_K // 64) // 5),  # 54
    _t(35, "tq2_0", QK_K, 2 + QK_K // 4),  # 66
    _t(39, "mxfp4", 32, 1 + 32 // 2),  # 17
    _t(40, "nvfp4", 64, 64 // 16 + 64 // 2),  # 36
    _t(41, "q1_0", 128, 2 + 128 // 8),  # 18
    _t(42, "q2_0", 64, 2 + 64 // 4),  # 18
)

GGML_TYPES: dict[str, GgmlType] = {t.name: t for t in _TYPES}
"""Every ggml type by its name in ``type_traits[].type_name`` (``"q4_K"``)."""

GGML_TYPE_IDS: dict[int, GgmlType] = {t.id: t for t in _TYPES}
"""Every ggml type by its ``enum ggml_type`` value (the number a GGUF stores)."""


def ggml_type(name: str) -> GgmlType:
    """The ggml type called ``name`` (``"q4_K"``, ``"Q4_K"`` or ``"F16"``).

    >>> ggml_type("Q6_K").bytes
    210
    """
    if not isinstance(name, str):
        raise ConfigTypeError(f"ggml type: expected a name like 'q4_K', got {type(name).__name__}")
    found = GGML_TYPES.get(name) or {t.name.lower(): t for t in _TYPES}.get(name.lower())
    if found is None:
        raise ConfigError(f"ggml type: unknown type {name[:40]!r}; known: {', '.join(GGML_TYPES)}")
    return found


def row_bytes(name: str, n: int) -> int:
    """Bytes of one row of ``n`` values (``ggml_row_size``); ``n`` a multiple of the block."""
    t = ggml_type(name)
    if n % t.block:
        raise ConfigError(
            f"ggml type {t.name}: a row of {n} values is not a multiple of its block of {t.block}"
        )
    return n // t.block * t.bytes


def tensor_bytes(name: str, shape: tuple[int, ...]) -> int:
    """Bytes of a tensor of torch ``shape`` (last dimension = ggml's row ``ne[0]``)."""
    if not shape:
        return ggml_type(name).bytes
    rows = 1
    for d in shape[:-1]:
        rows *= d
    return rows * row_bytes(name, shape[-1])
