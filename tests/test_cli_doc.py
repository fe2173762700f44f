"""docs/cli.md documents every option the parser has, in the first column of an options table."""

from __future__ import annotations

import re
from pathlib import Path

from paramcalc.cli_options import build_parser

DOC = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")


def _documented() -> set[str]:
    """The option strings named in the first cell of the options tables' rows."""
    found: set[str] = set()
    for line in DOC.splitlines():
        if line.startswith("| `-"):
            first = line.split(" | ")[0]
            found.update(re.findall(r"`(-{1,2}[a-z][a-z0-9-]*)", first))
    return found


def test_every_option_is_documented() -> None:
    """Each option string of the parser (short and long) has a row in docs/cli.md."""
    options = {option for action in build_parser()._actions for option in action.option_strings}
    assert options - _documented() == set()


def test_no_row_for_an_option_that_does_not_exist() -> None:
    """Each documented option is one the parser knows (no stale rows)."""
    options = {option for action in build_parser()._actions for option in action.option_strings}
    assert _documented() - options == set()
