"""What ``accelerate estimate-memory`` reports for the models of docs/inference-memory.md.

``accelerate estimate-memory`` needs the Hub; this runs accelerate's own
``accelerate/commands/estimate.py`` offline: ``gather_data`` as the command
calls it, with the two Hub look-ups (``verify_on_hub`` and
``AutoConfig.from_pretrained``) answered from the same configs. Since
accelerate's PR #3383 (issue #3379) ``create_empty_model`` builds
``AutoModel`` (the base model: no LM head) in float32 whatever the config's
``torch_dtype``; ``calculate_maximum_sizes`` gives its bytes and
``gather_data`` divides them (float16 /2, int8 /4, int4 /8). Run with
accelerate 1.16.0, transformers 5.23.0, torch 2.13.0::

    PYTHONPATH=/path/to/accelerate python tests/golden/plan/accelerate_estimate.py \\
        > tests/golden/plan/accelerate_estimate.json
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import types
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
    torch: Any = importlib.import_module("torch")
    transformers: Any = importlib.import_module("transformers")
    accelerate: Any = importlib.import_module("accelerate")
    estimate: Any = importlib.import_module("accelerate.commands.estimate")
    rows = {}
    for name, source in MODELS.items():
        config = source if isinstance(source, dict) else json.loads((FIXTURES / source).read_text())
        config = {k: v for k, v in config.items() if k != "quantization_config"}
        hf_config = transformers.AutoConfig.for_model(**config)
        # the Hub's answers: a transformers model with a config, and that config
        hub = types.SimpleNamespace(config=config, library_name="transformers")
        estimate.verify_on_hub = lambda repo, token=None, hub=hub: hub
        estimate.AutoConfig = types.SimpleNamespace(
            from_pretrained=lambda *args, found=hf_config, **kwargs: found
        )
        args = argparse.Namespace(
            model_name=name,
            library_name="transformers",
            dtypes=["float32", "float16", "int8", "int4"],
            trust_remote_code=False,
        )
        # meta tensors, as init_empty_weights registers them, without allocating them on the
        # CPU first (DeepSeek-V3's fused experts: 30 GB); the command's messages to stderr
        with torch.device("meta"), contextlib.redirect_stdout(sys.stderr):
            data = estimate.gather_data(args)
        rows[name] = {dtype: int(total) for dtype, _largest, total, _training in data}
    print(json.dumps({"accelerate": accelerate.__version__, "models": rows}, indent=1))


if __name__ == "__main__":
    main()
