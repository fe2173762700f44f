"""What ``accelerate estimate-memory`` reports for the models of docs/inference-memory.md.

``accelerate estimate-memory`` needs the Hub; this runs its core offline:
the model on the meta device from the same config, ``calculate_maximum_sizes``
(float32 bytes), then the divisions of ``accelerate/commands/estimate.py``
(``gather_data``: float16 /2, int8 /4, int4 /8). Run with accelerate 1.15::

    python tests/golden/plan/accelerate_estimate.py > tests/golden/plan/accelerate_estimate.json
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "hf"
LLAMA31_8B: dict[str, Any] = {
    "model_type": "llama",
    "vocab_size": 128256,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
}
MODELS: dict[str, dict[str, Any] | str] = {
    "Llama-3.1-8B": LLAMA31_8B,
    "Mixtral-8x7B": "mixtral-8x7b.json",
    "Gemma-2-2B": "gemma-2-2b.json",
    "DeepSeek-V3": "deepseek-v3.json",
}


def main() -> None:
    """Print accelerate's figures as JSON."""
    transformers: Any = importlib.import_module("transformers")
    accelerate: Any = importlib.import_module("accelerate")
    utils: Any = importlib.import_module("accelerate.utils")
    rows = {}
    for name, source in MODELS.items():
        config = source if isinstance(source, dict) else json.loads((FIXTURES / source).read_text())
        config = {k: v for k, v in config.items() if k != "quantization_config"}
        hf_config = transformers.AutoConfig.for_model(**config)
        with accelerate.init_empty_weights():
            model = transformers.AutoModelForCausalLM.from_config(hf_config)
        total, _ = utils.calculate_maximum_sizes(model)
        rows[name] = {
            "float32": int(total),
            "float16": int(total / 2),
            "int8": int(total / 4),
            "int4": int(total / 8),
        }
    print(json.dumps({"accelerate": accelerate.__version__, "models": rows}, indent=1))


if __name__ == "__main__":
    main()
