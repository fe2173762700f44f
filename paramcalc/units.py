"""How numbers are written: thousands separators, short forms, IEC bytes.

>>> count(61706), short(61706), short(6738415616), iec_bytes(246824)
('61,706', '61.7K', '6.74B', '241.04 KiB')
"""

from __future__ import annotations

import math

__all__ = ["count", "iec_bytes", "short", "visible"]

_SUFFIXES = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))
_IEC = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))
_FLOAT_BITS = 1000
"""Beyond this many bits an int does not fit a float: such counts are written as ``1.23e+400``."""


def _scientific(value: int) -> str:
    """``1.23e+400`` for an int too large for a float (or for ``str()``), in integer arithmetic.

    >>> _scientific(123 * 10**400)
    '1.23e+402'
    """
    magnitude = abs(value)
    exponent = int((magnitude.bit_length() - 1) * math.log10(2))
    while 10 ** (exponent + 1) <= magnitude:
        exponent += 1
    while 10**exponent > magnitude:
        exponent -= 1
    mantissa = magnitude * 100 // 10**exponent  # three digits: 100..999
    text = f"{mantissa // 100}.{mantissa % 100:02d}e+{exponent}"
    return "-" + text if value < 0 else text


def count(value: int) -> str:
    """``61706`` → ``"61,706"``; beyond a float's range, ``1.23e+400``."""
    if value.bit_length() > _FLOAT_BITS:
        return _scientific(value)
    return f"{value:,}"


def short(value: int) -> str:
    """Three significant digits and a suffix: ``61.7K``, ``124M``, ``6.74B``."""
    magnitude = abs(value)
    if magnitude.bit_length() > _FLOAT_BITS:
        return _scientific(value)
    for index, (scale, suffix) in enumerate(_SUFFIXES):
        if magnitude >= scale:
            scaled = value / scale
            digits = 0 if abs(scaled) >= 100 else 1 if abs(scaled) >= 10 else 2
            text = f"{scaled:.{digits}f}"
            if abs(float(text)) >= 1000 and index > 0:  # 999.95K is 1M, not 1000K
                return ("-1" if value < 0 else "1") + _SUFFIXES[index - 1][1]
            return (text.rstrip("0").rstrip(".") if "." in text else text) + suffix
    return str(value)


def iec_bytes(value: int) -> str:
    """Bytes in binary units, labelled as such: ``"241.04 KiB"``."""
    if value.bit_length() > _FLOAT_BITS:
        return f"{_scientific(value)} B"
    for scale, unit in _IEC:
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return f"{value} B"


def visible(text: str) -> str:
    r"""``text`` with control characters written as escapes, so they neither act nor hide.

    A newline cannot start a forged table row, nor an ANSI escape reach a terminal:

    >>> print(visible("fc\n| 1 | Linear |"), visible("\x1b[31mred"))
    fc\n| 1 | Linear | \x1b[31mred
    """
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
