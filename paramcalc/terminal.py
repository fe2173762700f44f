r"""Writing to a terminal or a file: closed streams, narrow encodings, escaped names.

>>> import io
>>> out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
>>> say(out, "2×MACs · é")
True
>>> _ = out.seek(0); out.read()
'2xMACs * \\xe9\n'
"""

from __future__ import annotations

import html
from typing import TextIO

from paramcalc.units import visible

__all__ = ["html_page", "say", "short"]


def short(text: str, limit: int = 200) -> str:
    """``text`` made visible, and cut to ``limit`` characters."""
    text = visible(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


PLAIN = str.maketrans({"×": "x", "·": "*", "…": "...", "−": "-", "–": "-", "≈": "~"})


def say(stream: TextIO | None, text: str, errors: str = "backslashreplace") -> bool:
    """Write a line to ``stream`` in characters its encoding has; False if it is closed.

    When the encoding lacks some characters (``PYTHONIOENCODING=ascii``),
    symbols become ASCII (``×`` → ``x``, ``·`` → ``*``) and other characters
    are handled by ``errors``: backslash escapes, or ``?`` in a table
    (``"replace"``), which keeps its columns aligned.
    """
    if stream is None:
        return False
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        try:
            text = text.translate(PLAIN).encode(encoding, errors).decode(encoding)
        except LookupError:
            text = text.translate(PLAIN).encode("ascii", errors).decode("ascii")
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError):  # a closed descriptor (EBADF) or a closed file object
        return False
    return True


def html_page(fragment: str, title: str) -> str:
    """A whole HTML document around a report: doctype, charset and title.

    >>> html_page("<table></table>", "paramcalc: net.txt").splitlines()[3]
    '<meta charset="utf-8">'
    """
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(short(title))}</title>\n</head>\n<body>\n{fragment}\n"
        "</body>\n</html>"
    )
