"""Each decoder fixture in the three forms a user meets, against live ``transformers`` 5.23.

1. the dict as written (the published ``config.json``);
2. the full ``config.json``: ``to_json_string(use_diff=False)``, every field of the class;
3. the short one ``save_pretrained`` writes (``use_diff=True``).

In each form, ``architectures[0]`` is built with the names, shapes, order and
total of ``transformers``' model, no key is unknown (no warning), and the
KV cache after a prefill has the bytes of the cache ``transformers`` fills.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from paramcalc.errors import ParamcalcWarning
from paramcalc.hf import from_hf_config
from paramcalc.plan.kv_cache import kv_cache
from tests.conformance.hf_mirror import hf_params
from tests.conformance.test_hf_decoders import DECODERS, _config
from tests.conformance.test_kv_cache_hf import TOKENS, _narrow

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"

pytestmark = pytest.mark.usefixtures("transformers")

FORMS = ("written", "full", "short")


def _forms(config: dict[str, Any], tmp: Path) -> dict[str, dict[str, Any]]:
    transformers = importlib.import_module("transformers")
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"], **data)
        full = json.loads(hf_config.to_json_string(use_diff=False))
        hf_config.save_pretrained(tmp)
    short = json.loads((tmp / "config.json").read_text())
    return {"written": config, "full": full, "short": short}


CASES = [
    pytest.param(file, id=file.removesuffix(".json"))
    for file, package in DECODERS.items()
    if package
    in {
        "granite",
        "cohere",
        "cohere2",
        "starcoder2",
        "stablelm",
        "olmo",
        "glm",
        "glm4",
        "exaone4",
        "ernie4_5",
        "smollm3",
        "seed_oss",
        "apertus",
        "arcee",
        "helium",
        "bitnet",
        "olmoe",
        "phimoe",
        "granitemoe",
        "glm4_moe",
    }
]


OWN_CACHE_TEST = {
    "gptj",
    "codegen",
    "gpt_neo",
    "bloom",
    "persimmon",
    "xglm",
    "mpt",
    "dbrx",
    "deepseek_v2",
    "jetmoe",
}
"""Families whose config keys are not Llama's: their cache bytes are checked in
``tests/conformance/test_hf_families.py`` (in the three forms too)."""
FORM_CASES = CASES + [
    pytest.param(file, id=file.removesuffix(".json"))
    for file, package in DECODERS.items()
    if package in OWN_CACHE_TEST
]


@pytest.mark.parametrize("file", FORM_CASES)
def test_three_forms(file: str, tmp_path: Path) -> None:
    """Names, shapes, order and totals agree in each form, with no unknown key."""
    for form, config in _forms(_config(file), tmp_path).items():
        architecture = config["architectures"][0]
        theirs = hf_params(config, architecture)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ParamcalcWarning)
            net = from_hf_config(config)
        assert list(net.named_parameters()) == theirs, form
        assert net.params() == sum(_numel(shape) for _, shape in theirs), form


def _numel(shape: tuple[int, ...]) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


@pytest.mark.parametrize("file", CASES)
def test_cache_bytes_three_forms(torch: Any, file: str, tmp_path: Path) -> None:
    """The planned KV cache has the bytes transformers caches after a prefill, in each form.

    The three forms build the same ``transformers`` model, whose cache is measured once.
    """
    transformers = importlib.import_module("transformers")
    narrow = _narrow(json.loads((FIXTURES / file).read_text()))
    # only key/value heads and head_dim size the cache: as many query heads, and
    # heads·head_dim = hidden (BitNet's attn_sub_norm, Helium's o_proj, StableLM's head_dim)
    narrow["num_attention_heads"] = narrow["num_key_value_heads"]
    narrow["hidden_size"] = narrow["num_key_value_heads"] * narrow["head_dim"]
    data = {key: value for key, value in narrow.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(narrow["model_type"], **data)
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(hf_config)
    model = model.to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(0, 128, (2, TOKENS)), use_cache=True)
    expected = sum(
        t.numel() * t.element_size()
        for layer in out.past_key_values.layers
        for t in (layer.keys, layer.values)
    )
    for form, config in _forms(narrow, tmp_path).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = from_hf_config(config)
        assert kv_cache(net, TOKENS, 2, "bf16").bytes == expected, form
