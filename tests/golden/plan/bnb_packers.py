"""Golden bytes of bitsandbytes' own packers on CPU, for ``tests/test_plan_weights.py``.

Run in a venv holding bitsandbytes (0.50.2 made the committed figures)::

    python tests/golden/plan/bnb_packers.py > tests/golden/plan/bnb_packers.json

4-bit: ``bitsandbytes.functional.quantize_4bit`` then ``QuantState.as_dict(packed=True)``,
the tensors a checkpoint stores; ``json_blob`` is the packed-JSON tensor
(``quant_state.bitsandbytes__nf4``), whose length depends on the data. int8:
``Linear8bitLt.state_dict()`` of ``int8_vectorwise_quant`` weights.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

SHAPES = [(96, 64), (1000, 300), (4096, 4096), (11008, 4096), (13, 7)]


def main() -> None:
    """Print the figures as JSON."""
    torch: Any = importlib.import_module("torch")
    bnb: Any = importlib.import_module("bitsandbytes")
    functional: Any = importlib.import_module("bitsandbytes.functional")
    torch.manual_seed(0)
    rows: list[dict[str, Any]] = []
    for out, inp in SHAPES:
        w = torch.randn(out, inp, dtype=torch.bfloat16)
        for kind in ("nf4", "fp4"):
            for nested in (False, True):
                packed, state = functional.quantize_4bit(
                    w, blocksize=64, quant_type=kind, compress_statistics=nested
                )
                stored = state.as_dict(packed=True)
                tensors = packed.numel() * packed.element_size()
                tensors += sum(
                    v.numel() * v.element_size()
                    for k, v in stored.items()
                    if not k.startswith("quant_state.")
                )
                blob = sum(v.numel() for k, v in stored.items() if k.startswith("quant_state."))
                name = kind + ("-dq" if nested else "")
                rows.append(
                    {"format": name, "out": out, "in": inp, "bytes": tensors, "json_blob": blob}
                )
        cb, scb, _ = functional.int8_vectorwise_quant(w.to(torch.float16))
        layer = bnb.nn.Linear8bitLt(inp, out, bias=False, has_fp16_weights=False)
        layer.weight = bnb.nn.Int8Params(cb, requires_grad=False, has_fp16_weights=False)
        layer.weight.SCB = scb
        state_dict = layer.state_dict()
        total = sum(v.numel() * v.element_size() for v in state_dict.values())
        rows.append(
            {"format": "int8", "out": out, "in": inp, "bytes": total, "keys": sorted(state_dict)}
        )
    print(
        json.dumps(
            {"bitsandbytes": bnb.__version__, "torch": torch.__version__, "rows": rows}, indent=1
        )
    )


if __name__ == "__main__":
    main()
