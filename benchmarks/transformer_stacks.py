"""Time deep transformer stacks: construction, counts, MACs and a report.

Run: ``python benchmarks/transformer_stacks.py``; prints figures, asserts nothing
about time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from paramcalc import Transformer, TransformerEncoder, TransformerEncoderLayer

T = TypeVar("T")


def _timed(label: str, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = action()
    print(f"{label:<40} {1000 * (time.perf_counter() - start):8.1f} ms  {result}")
    return result


def _stack(layers: int) -> None:
    layer = TransformerEncoderLayer(768, 12, 3072, activation="gelu")
    encoder = _timed(
        f"build TransformerEncoder x{layers}", lambda: TransformerEncoder(layer, layers)
    )
    _timed("  params()", encoder.params)
    _timed("  named_parameters() (tensors)", lambda: len(list(encoder.named_parameters())))
    _timed("  macs((512, 768))", lambda: encoder.macs((512, 768)))
    _timed("  report((512, 768)) (rows)", lambda: len(encoder.report((512, 768)).rows))
    _timed("  freeze('layers.0')", lambda: encoder.freeze("layers.0").trainable_params())


def main() -> None:
    for layers in (12, 96):
        _stack(layers)
    model = _timed("build Transformer()", Transformer)
    _timed("  params()", model.params)
    _timed("  macs((10, 512))", lambda: model.macs((10, 512)))


if __name__ == "__main__":
    main()
