"""Screenshots of the HTML report as JupyterLab renders it (docs/report-html-*.png).

Not run in CI. It needs a venv with JupyterLab and nbconvert and a headless
Chromium, for example::

    python3 -m venv /tmp/jlvenv && /tmp/jlvenv/bin/pip install jupyterlab nbconvert
    apt-get install -y chromium
    python docs/make_jupyterlab_screenshots.py --jupyter /tmp/jlvenv/bin/jupyter

It writes a notebook whose outputs are reports' ``_repr_html_()``, exports it
with nbconvert's ``lab`` template (which embeds JupyterLab's own style sheets,
``.jp-RenderedHTMLCommon`` table rules included) in the light and the dark
theme, and has Chromium screenshot each page. ``--all`` adds more reports
(LeNet, a folded network) to check by eye; the docs keep ResNet-18 only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paramcalc import zoo  # noqa: E402


def cell(source: str, html: str, count: int) -> dict[str, object]:
    """A code cell whose output is ``html``, as Jupyter stores it."""
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "source": source,
        "outputs": [
            {
                "output_type": "execute_result",
                "execution_count": count,
                "metadata": {},
                "data": {"text/html": html, "text/plain": "<paramcalc report>"},
            }
        ],
    }


def notebook(everything: bool) -> dict[str, object]:
    """ResNet-18 at depth 1; with ``everything``, LeNet and ResNet-18 folded too."""
    resnet = zoo.get("resnet18").report((3, 224, 224))
    shown = [('zoo.get("resnet18").report((3, 224, 224)).render("html", depth=1)',
              resnet.render("html", depth=1))]  # fmt: skip
    if everything:
        from tests.nets import CASES  # the golden tests' networks

        lenet = CASES["lenet"]()
        shown.append(("lenet", lenet.network.report(lenet.input_shape)._repr_html_()))
        shown.append(('zoo.get("resnet18").report((3, 224, 224))', resnet._repr_html_()))
    return {
        "cells": [cell(source, html, count) for count, (source, html) in enumerate(shown, 1)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jupyter", default="jupyter", help="the jupyter command")
    parser.add_argument("--chromium", default="chromium", help="the chromium command")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where PNGs go")
    parser.add_argument("--work", type=Path, default=Path("/tmp/paramcalc-jlab"))
    parser.add_argument("--size", default="760,900", help="the window, width,height")
    parser.add_argument("--all", action="store_true", help="more reports, for checking")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    nb = args.work / "report.ipynb"
    nb.write_text(json.dumps(notebook(args.all), indent=1), encoding="utf-8")
    for theme in ("light", "dark"):
        page = args.work / f"report-{theme}"
        subprocess.run(
            [args.jupyter, "nbconvert", "--to", "html", "--template", "lab",
             f"--HTMLExporter.theme={theme}", "--output", str(page), str(nb)],
            check=True,
        )  # fmt: skip
        png = args.out / f"report-html-{theme}.png"
        subprocess.run(
            [args.chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--hide-scrollbars", f"--screenshot={png}", f"--window-size={args.size}",
             f"file://{page}.html"],
            check=True,
        )  # fmt: skip
        print(png, png.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
