"""``paramcalc.lora``: published PEFT totals, speed on deep models, refusals (no torch needed)."""

from __future__ import annotations

import time
import warnings

import pytest

import paramcalc as pc
from paramcalc.errors import ConfigError, ConfigTypeError, ParamcalcWarning
from paramcalc.hf.blocks import LayerStack
from paramcalc.layer import Composite
from paramcalc.plan.adapters import named_requires_grad
from paramcalc.zoo.language import gpt2, llama


def llama31_8b() -> pc.Layer:
    """Llama-3.1-8B's sizes (meta-llama/Llama-3.1-8B config.json)."""
    return llama(
        vocab_size=128256,
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
    )


def _composite(node: pc.Layer) -> Composite:
    assert isinstance(node, Composite)
    return node


def _at(node: pc.Layer, path: str) -> pc.Layer:
    """The layer at a dotted path (``net.model.layers`` without attribute typing)."""
    for name in path.split("."):
        node = _composite(node)[name]
    return node


class TestPublishedCounts:
    """PEFT's print_trainable_parameters() on Llama-3.1-8B (issue 12's anchors)."""

    def test_q_v_rank_8(self) -> None:
        """r=8 on q_proj, v_proj trains 3,407,872 of 8,033,669,120."""
        net = pc.lora(llama31_8b(), r=8, target_modules=["q_proj", "v_proj"])
        assert (net.trainable_params(), net.params()) == (3407872, 8033669120)

    def test_all_linear_rank_16(self) -> None:
        """r=16 on every linear layer but lm_head trains 41,943,040."""
        net = pc.lora(llama31_8b(), r=16, target_modules="all-linear")
        assert net.trainable_params() == 41943040
        assert net.params() == 8030261248 + 41943040

    def test_names_are_peft_names(self) -> None:
        """The frozen weight moves under base_layer; the adapters sit under .default."""
        names = [name for name, _ in pc.lora(gpt2(), target_modules=["c_attn"]).named_parameters()]
        assert "base_model.model.transformer.h.0.attn.c_attn.base_layer.weight" in names
        assert "base_model.model.transformer.h.11.attn.c_attn.lora_B.default.weight" in names


class TestDeepModels:
    """Repeat is not enumerated for counts."""

    def test_80_layers_is_fast(self) -> None:
        """A 70B-sized model adapts and counts in well under a second."""
        base = llama(
            vocab_size=128256,
            hidden_size=8192,
            intermediate_size=28672,
            num_hidden_layers=80,
            num_attention_heads=64,
            num_key_value_heads=8,
        )
        start = time.perf_counter()
        net = pc.lora(base, r=16, target_modules="all-linear", use_dora=True)
        counts = net.trainable_params(), net.params()
        assert time.perf_counter() - start < 1.0
        shapes = [(8192, 8192), (8192, 1024), (8192, 1024), (8192, 8192)]
        shapes += [(8192, 28672), (8192, 28672), (28672, 8192)]  # (in, out): attention, MLP
        per_layer = sum(16 * (fan_in + fan_out) + fan_out for fan_in, fan_out in shapes)
        assert counts[0] == 80 * per_layer == 213811200

    def test_index_dependent_regex(self) -> None:
        """A regex naming some layers adapts those copies only."""
        net = pc.lora(
            llama(num_hidden_layers=4), r=2, target_modules=r".*\.[13]\.self_attn\.q_proj"
        )
        adapted = {name.split(".")[4] for name, _, grad in named_requires_grad(net) if grad}
        assert adapted == {"1", "3"}
        assert net.trainable_params() == 2 * 2 * (4096 + 4096)

    def test_repeat_copies_adapted_apart(self) -> None:
        """A Repeat whose copies a regex tells apart is named and counted copy by copy."""
        net = pc.Sequential({"layers": pc.Repeat(pc.Linear(4, 4), 3)})
        adapted = pc.lora(net, r=2, target_modules=r"layers\.1")
        names = [name for name, _ in adapted.named_parameters()]
        assert names[2:6] == [
            "base_model.model.layers.1.base_layer.weight",
            "base_model.model.layers.1.base_layer.bias",
            "base_model.model.layers.1.lora_A.default.weight",
            "base_model.model.layers.1.lora_B.default.weight",
        ]
        assert (adapted.trainable_params(), adapted.params()) == (16, 3 * 20 + 16)
        assert adapted.output_shape((4,)) == (4,)


FIXTURES = "tests/fixtures/hf/"


def _hf(name: str) -> pc.Layer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        return pc.from_hf_config(f"{FIXTURES}{name}.json")


class TestOutputLayer:
    """PEFT 0.21.2's figures (tests/conformance/test_lora.py checks them live, issue 23)."""

    @pytest.mark.parametrize(
        ("name", "output", "trainable"),
        [
            ("whisper-tiny", "proj_out", 270_336),
            ("distilbert-base-uncased", "vocab_projector", 337_920),
            ("roberta-base", "lm_head.decoder", 669_696),
            ("bert-base-uncased", "cls.predictions.decoder", 669_696),
        ],
    )
    def test_all_linear_leaves_out_the_output_layer(
        self, name: str, output: str, trainable: int
    ) -> None:
        """``all-linear`` adapts every Linear but ``get_output_embeddings()``, at r=4."""
        adapted = pc.lora(_hf(name), r=4, target_modules="all-linear")
        assert adapted.trainable_params() == trainable
        names = [name for name, _, grad in named_requires_grad(adapted) if grad]
        assert not any(f".{output}.lora_" in name for name in names)

    def test_other_networks_have_no_output_layer(self) -> None:
        """PEFT looks at a PreTrainedModel's output layer only: a plain network has none."""
        net = pc.Sequential({"body": pc.Linear(4, 4), "lm_head": pc.Linear(4, 8)})
        assert pc.lora(net, r=2, target_modules="all-linear").trainable_params() == 16 + 24

    def test_bias_all_trains_a_module_own_bias(self) -> None:
        """BERT's ``cls.predictions.bias`` (a module's own tensor) is a ``*.bias`` too:
        r=4 all-linear, bias="all": 803,898 (773,376 without it)."""
        adapted = pc.lora(_hf("bert-base-uncased"), r=4, target_modules="all-linear", bias="all")
        assert adapted.trainable_params() == 803_898
        flags = {name: grad for name, _, grad in named_requires_grad(adapted)}
        assert flags["base_model.model.cls.predictions.bias"]

    def test_empty_layers_to_transform_is_every_layer(self) -> None:
        """PEFT treats ``layers_to_transform=[]`` as unset: Llama-2-7B's 32 q_proj, r=4."""
        net = _hf("llama-2-7b")
        empty = pc.lora(net, r=4, target_modules=["q_proj"], layers_to_transform=[])
        assert empty.trainable_params() == 1_048_576 == 32 * 4 * (4096 + 4096)


class TestLayersToTransform:
    """``layers_to_transform`` costs what its list costs, not what the depth is (issue 23)."""

    def test_a_million_entries(self) -> None:
        """10⁶ listed layers of a 32-layer model: each module looks an index up in a set."""
        net = _hf("llama-2-7b")
        start = time.perf_counter()
        adapted = pc.lora(net, r=4, target_modules=["q_proj"], layers_to_transform=range(10**6))
        assert time.perf_counter() - start < 1.0
        assert adapted.trainable_params() == 1_048_576

    @pytest.mark.parametrize("stack", ["Repeat", "LayerStack"])
    def test_three_layers_of_a_trillion(self, stack: str) -> None:
        """Layers 0, 7 and 10¹²−1 of a 10¹²-layer Llama-3.1-8B: well under a second.

        Each adapted layer trains 106,496 (the r=8 q,v anchor 3,407,872 over
        32 layers). Looking a copy up by name used to walk the stack
        (``getattr(LayerStack, "prefix", "")`` scanned 10¹² children).
        """
        small = llama31_8b()
        model, lm_head, layers = (_at(small, path) for path in ("model", "lm_head", "model.layers"))
        assert isinstance(model, Composite)
        assert isinstance(layers, pc.Repeat)
        depth = 10**12
        deep = (
            pc.Repeat(layers.block, depth)
            if stack == "Repeat"
            else LayerStack([(layers.block, depth)])
        )
        swapped = [deep if name == "layers" else child for name, child in model.children()]
        base = _composite(small).rebuild([model.rebuild(swapped), lm_head])
        start = time.perf_counter()
        adapted = pc.lora(
            base, r=8, target_modules=["q_proj", "v_proj"], layers_to_transform=[0, 7, depth - 1]
        )
        counts = adapted.trainable_params(), adapted.params()
        stack_ = _composite(_at(adapted, "base_model.model.model.layers"))
        last, middle = stack_[str(depth - 1)], stack_[-2]
        shape = adapted.output_shape((5,))
        assert time.perf_counter() - start < 1.0
        assert counts == (3 * 3407872 // 32, base.params() + 3 * 106_496)
        assert shape == (5, 128256)
        assert type(_at(last, "self_attn.q_proj")).__name__ == "LoraLinear"
        assert type(_at(middle, "self_attn.q_proj")).__name__ == "Linear"
        assert getattr(stack_, "prefix", "") == ""  # a missing name costs the runs, not 10¹²


class TestRefusals:
    """Bad options fail with the argument named, as PEFT would refuse them."""

    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"target_modules": ["nope"]}, "not found"),
            ({"target_modules": None}, "target_modules"),
            ({"target_modules": ["c_attn"], "bias": "some"}, "bias"),
            ({"target_modules": ["attn"]}, "GPT2Attention"),
            ({"target_modules": ["c_fc"], "use_dora": True, "lora_bias": True}, "DoRA"),
            ({"target_modules": "c_.*", "layers_to_transform": [0]}, "layers_to_transform"),
            ({"target_modules": ["c_attn"], "exclude_modules": ["c_attn"]}, "excluded"),
        ],
    )
    def test_config_errors(self, options: dict[str, object], match: str) -> None:
        """Each is a ConfigError naming the rule."""
        with pytest.raises(ConfigError, match=match):
            pc.lora(gpt2(n_layer=1), **options)  # type: ignore[arg-type]

    def test_bool_is_not_a_rank(self) -> None:
        """r=True is refused."""
        with pytest.raises(ConfigTypeError):
            pc.lora(gpt2(n_layer=1), r=True, target_modules=["c_attn"])

    def test_unmatched_modules_to_save_warns(self) -> None:
        """PEFT ignores a modules_to_save that matches nothing; paramcalc says so."""
        with pytest.warns(ParamcalcWarning, match="modules_to_save"):
            pc.lora(gpt2(n_layer=1), target_modules=["c_attn"], modules_to_save=["score"])
