"""Renderings: golden files, rows that add up to the printed totals, escaping, options."""

from __future__ import annotations

import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from paramcalc import ConfigError, Linear, ReLU, Report, Sequential
from paramcalc.render import render

from .nets import CASES

GOLDEN = Path(__file__).parent / "golden"

VARIANTS: dict[str, tuple[str, dict[str, object]]] = {
    "text.txt": ("text", {}),
    "ascii_depth0.txt": ("text", {"ascii": True, "depth": 0}),
    "explain.txt": ("text", {"explain": True}),
    "md": ("markdown", {}),
    "html": ("html", {}),
    "json": ("json", {}),
}


def report(name: str) -> Report:
    case = CASES[name]()
    built: Report = case.network.report(case.input_shape, batch_size=case.batch_size)
    return built


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(CASES))
def test_golden(name: str, variant: str, update_golden: bool) -> None:
    """Each rendering equals its reviewed golden file exactly (--update-golden rewrites)."""
    fmt, options = VARIANTS[variant]
    text = render(report(name), fmt, **options) + "\n"  # type: ignore[arg-type]
    path = GOLDEN / f"{name}.{variant}"
    if update_golden:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


# -- the rows add up to the printed totals ------------------------------------------------

_TREE = " │├└─|`-"


def _number(cell: str) -> int:
    cell = cell.strip().replace("\\", "")
    return int(cell.replace(",", "")) if cell else 0


def parse_table(text: str) -> tuple[list[tuple[int, str, int]], int]:
    """``(depth, name, params)`` of each table row, and the footer's total.

    Columns are cut where the rule line has its column separators, so tree
    branches inside a cell cannot be mistaken for them.
    """
    lines = text.splitlines()
    markdown = lines[0].startswith("| ")
    if markdown:
        rule, header_line, body = lines[1], lines[0], lines[2 : lines.index("")]
        total_line = next(line for line in lines if line.startswith("- Total params:"))
    else:
        rule, header_line = lines[0], lines[1]
        body = [line for line in lines[3:-1] if line[:1] in "│|"]
        total_line = next(line for line in lines if line.startswith("Total params:"))
    total = _number(total_line.split(":", 1)[1].replace("*", "").split("(")[0])
    cuts = [index for index, char in enumerate(rule) if char in "+┬┌┐|"]

    def cells(line: str) -> list[str]:
        return [line[a + 2 : b - 1].rstrip() for a, b in itertools.pairwise(cuts)]

    header = [cell.strip() for cell in cells(header_line)]
    rows = []
    for line in body:
        row = cells(line)
        name = row[header.index("Layer")]
        bare = name.lstrip(_TREE)
        rows.append(((len(name) - len(bare)) // 3, bare, _number(row[header.index("Params")])))
    return rows, total


def frontier_sum(rows: list[tuple[int, str, int]]) -> int:
    """The sum over rows shown without their children (leaves and folded containers)."""
    return sum(
        params
        for index, (depth, _, params) in enumerate(rows)
        if index + 1 == len(rows) or rows[index + 1][0] <= depth
    )


@pytest.mark.parametrize("depth", [None, 0, 1, 2])
@pytest.mark.parametrize("fmt", ["text", "ascii", "markdown"])
@pytest.mark.parametrize("name", [name for name in CASES if name != "markup"])
def test_rows_add_up_to_printed_total(name: str, fmt: str, depth: int | None) -> None:
    """Re-parsed from the rendered table, the shown rows sum to the printed total at any depth."""
    the_report = report(name)
    if fmt == "markdown":
        text = render(the_report, "markdown", depth=depth)
    else:
        text = render(the_report, "text", depth=depth, ascii=fmt == "ascii")
    rows, total = parse_table(text)
    assert total == the_report.params == CASES[name]().torch_params
    assert frontier_sum(rows) == total
    if depth is not None:
        assert max(row[0] for row in rows) <= depth


def test_footer_never_changes_with_depth_or_filters() -> None:
    """Folding or filtering rows leaves the totals as they are."""
    the_report = report("nested")
    footers = {
        render(the_report, depth=depth, include=include).split("┘\n")[-1]
        for depth in (None, 0, 1)
        for include in (None, "classifier*", "nothing-matches")
    }
    assert len(footers) == 1


def test_share_column_adds_up() -> None:
    """The shares of the leaf rows add up to 100% (to rounding)."""
    the_report = report("lenet")
    text = render(the_report, columns=("name", "share"), ascii=True)
    shares = [float(match) for match in re.findall(r"(\d+\.\d)%", text)]
    assert sum(shares) == pytest.approx(100, abs=0.5)


# -- HTML -------------------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []
        self.style = ""
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if "style" in self._in:
            self.style += data
        elif "td" in self._in:
            self.cells[-1] += data


def test_html_escapes_every_name() -> None:
    """A layer named <script> stays text: no script tag, the name readable as data."""
    page = render(report("markup"), "html")
    parsed = _Collector()
    parsed.feed(page)
    assert "script" not in parsed.tags
    assert parsed.tags.count("style") == 1
    assert "<script>alert(1)</script>" in parsed.cells
    assert "a|b*c_d`e" in parsed.cells
    assert "x&amp;y" in parsed.cells


def test_html_style_is_scoped() -> None:
    """Every rule of the inline style sheet applies inside .paramcalc-report only."""
    parsed = _Collector()
    parsed.feed(render(report("lenet"), "html"))
    selectors = re.findall(r"(?:^|})\s*([^{}@]+?)\s*\{", parsed.style)
    assert selectors
    for selector in selectors:
        for part in selector.split(","):
            assert ".paramcalc-report" in part, part
    assert "prefers-color-scheme" in parsed.style
    assert "transparent" in parsed.style


def test_html_rows_add_up() -> None:
    """Parsed from the HTML, the leaf rows' params sum to the total shown below them."""
    the_report = report("nested")
    parsed = _Collector()
    parsed.feed(render(the_report, "html", columns=("name", "params")))
    params = [_number(cell) for cell in parsed.cells[1::2]]
    leaves = [row.leaf for row in the_report.rows]
    assert sum(p for p, leaf in zip(params, leaves, strict=True) if leaf) == the_report.params


def test_markdown_escapes_markup() -> None:
    """Pipes, emphasis and tags in names are escaped in Markdown cells."""
    text = render(report("markup"), "markdown")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "a\\|b\\*c\\_d\\`e" in text
    assert "x&amp;amp;y" in text
    lines = text.splitlines()
    assert all(lines[index].count(" | ") == 5 for index in (0, 2, 3, 4))


# -- options --------------------------------------------------------------------------


class TestColumnsAndRows:
    def test_columns_choose_and_order(self) -> None:
        """`columns` picks the columns in the order given."""
        text = render(report("lenet"), columns=("params", "name"), ascii=True)
        assert text.splitlines()[1] == "| Params | Layer |"

    def test_unknown_column(self) -> None:
        """An unknown column is refused with the list of known ones."""
        with pytest.raises(ConfigError, match=r"unknown column 'size'\. Known: name, kind"):
            render(report("lenet"), columns=("size",))

    def test_columns_needing_shapes_are_left_out_without_them(self) -> None:
        """MACs and output shape need an input shape; without one they are not shown."""
        text = render(report("seed_net"), columns=("name", "shape", "macs", "params"))
        assert "MACs" not in text
        assert "Output shape" not in text

    def test_memory_column(self) -> None:
        """The memory column is each row's parameter and buffer bytes in the report's dtype."""
        the_report = report("lenet")
        assert "Memory" not in render(the_report)  # only when asked for
        text = render(the_report, columns=("name", "memory"), ascii=True)
        # LeNet's conv1: (5·5·1 + 1)·6 = 156 parameters of 4 bytes
        assert text.splitlines()[3].split("|")[1:3] == [" 0     ", "      624 B "]

    def test_include_keeps_ancestors(self) -> None:
        """`include` keeps matching rows, their subtrees and their ancestors."""
        rows, _ = parse_table(render(report("nested"), include="features.3.0", ascii=True))
        assert [name for _, name, _ in rows] == ["features", "3", "0"]

    def test_exclude_drops_subtrees(self) -> None:
        """`exclude` drops matching rows and everything under them."""
        rows, _ = parse_table(render(report("nested"), exclude="features", ascii=True))
        assert "features" not in [name for _, name, _ in rows]
        assert len(rows) == 8

    def test_depth_must_be_a_count(self) -> None:
        """A negative or non-int depth is refused."""
        with pytest.raises(ConfigError, match="`depth` must be an int >= 0"):
            render(report("lenet"), depth=-1)

    def test_unknown_format(self) -> None:
        """An unknown format is refused, naming the known ones."""
        with pytest.raises(ConfigError, match="`format` must be one of 'text', 'markdown'"):
            render(report("lenet"), "pdf")

    def test_trainable_column_appears_when_something_is_frozen(self) -> None:
        """The default columns add Trainable only when some parameters are frozen."""
        assert "Trainable" in render(report("nested")).splitlines()[1]
        assert "Trainable" not in render(report("lenet")).splitlines()[1]

    def test_explain_shows_formula_of_leaves(self) -> None:
        """With `explain`, each counted leaf shows its working, equal to its params."""
        text = render(report("lenet"), explain=True)
        assert "(5·5·1 + 1)·6 = 156" in text
        assert "400·120 + 120 = 48,120" in text

    def test_shared_row_adds_nothing(self) -> None:
        """The second use of a shared layer shows 0 params and names the first use."""
        text = render(report("nested"), ascii=True)
        line = next(line for line in text.splitlines() if "shared with" in line)
        assert "Linear (shared with classifier.2)" in line
        assert re.search(r"\|\s+0 \|", line)


class TestReportApi:
    def test_report_render_formats(self) -> None:
        """Report.render reaches every renderer; str() is the text table."""
        the_report = Sequential(Linear(4, 2), ReLU()).report()
        assert str(the_report) == the_report.render("text")
        assert the_report.render("markdown").startswith("| Layer")
        assert the_report.render("html").startswith('<div class="paramcalc-report">')
        assert json.loads(the_report.render("json"))["schema"] == 1

    def test_jupyter_reprs(self) -> None:
        """Reports and layers offer HTML, Markdown and IPython pretty-printing."""
        net = Sequential(Linear(4, 2))
        the_report = net.report()
        assert the_report._repr_html_() == the_report.render("html")
        assert net._repr_html_() == the_report.render("html")
        assert Linear(4, 2)._repr_html_().count("<table>") == 1
        assert the_report._repr_markdown_() == the_report.render("markdown")

        class Printer:
            def __init__(self) -> None:
                self.out = ""

            def text(self, value: str) -> None:
                self.out += value

        printer = Printer()
        the_report._repr_pretty_(printer, False)
        assert printer.out == str(the_report)

    def test_layer_repr_reads_like_torch(self) -> None:
        """A layer's repr is the torch constructor call with changed defaults only."""
        assert repr(Linear(400, 120, bias=False)) == "Linear(400, 120, bias=False)"

    def test_import_is_cheap(self) -> None:
        """`import paramcalc` loads neither the renderers, the parsers nor the CLI."""
        import subprocess
        import sys

        code = (
            "import sys, paramcalc; "
            "print(sorted(m for m in sys.modules if m.startswith('paramcalc.') and "
            "m.split('.')[1] in ('render', 'cli', 'spec', 'printed')))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"
