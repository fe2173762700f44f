"""Decoder families from real checkpoints' configs: golden totals, MoE anchors, heads, caches.

The totals are the published ones (model cards, papers) and equal
``transformers`` 5.23's ``sum(p.numel() for p in model.parameters())``
(checked name by name in ``tests/conformance/test_hf_decoders.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paramcalc import ConfigError
from paramcalc.cli import main
from paramcalc.hf import from_hf_config
from paramcalc.hf.blocks import DecoderAttention, LatentAttention, LayerStack
from paramcalc.layer import Composite, Layer

FIXTURES = Path(__file__).parent / "fixtures" / "hf"


def config(file: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / file).read_text())
    return data | changes


GOLDEN = [
    # file, class, total; the published figure in the comment
    ("llama-2-7b.json", "LlamaForCausalLM", 6_738_415_616),  # "7B"
    ("mistral-7b.json", "MistralForCausalLM", 7_241_732_096),  # "7.24B"
    ("qwen2-0.5b.json", "Qwen2ForCausalLM", 494_032_768),  # "0.49B", 0.36B non-embedding
    ("qwen3-0.6b.json", "Qwen3ForCausalLM", 596_049_920),  # "0.6B", 0.44B non-embedding
    ("gemma-2b.json", "GemmaForCausalLM", 2_506_172_416),  # "2.51B"
    ("gemma-2-2b.json", "Gemma2ForCausalLM", 2_614_341_888),  # "2.61B"
    ("gemma-3-1b-it.json", "Gemma3ForCausalLM", 999_885_952),  # "1B"
    ("phi-3-mini-4k-instruct.json", "Phi3ForCausalLM", 3_821_079_552),  # "3.8B"
    ("olmo-2-1124-7b.json", "Olmo2ForCausalLM", 7_298_617_344),  # "7B" (7.30B)
    ("mixtral-8x7b.json", "MixtralForCausalLM", 46_702_792_704),  # "46.7B"
    ("qwen1.5-moe-a2.7b.json", "Qwen2MoeForCausalLM", 14_315_784_192),  # "14.3B"
    ("qwen3-30b-a3b.json", "Qwen3MoeForCausalLM", 30_532_122_624),  # "30.5B"
    ("deepseek-v3.json", "DeepseekV3ForCausalLM", 671_026_404_352),  # "671B"
    ("gpt-oss-20b.json", "GptOssForCausalLM", 20_914_757_184),  # "20.91B"
    ("phi-2.json", "PhiForCausalLM", 2_779_683_840),  # "2.7B"
    ("falcon-7b.json", "FalconForCausalLM", 6_921_720_704),  # "7B"
    ("falcon-40b.json", "FalconForCausalLM", 41_303_293_952),  # "40B"
    ("falcon-rw-1b.json", "FalconForCausalLM", 1_311_625_216),  # "1.3B"
    ("pythia-160m.json", "GPTNeoXForCausalLM", 162_322_944),  # Pythia paper: 162,322,944
    ("opt-125m.json", "OPTForCausalLM", 125_239_296),  # "125M"
    ("opt-350m.json", "OPTForCausalLM", 331_196_416),  # "350M"
    ("gpt2.json", "GPT2LMHeadModel", 124_439_808),  # "124M"
    ("gpt_bigcode-santacoder.json", "GPTBigCodeForCausalLM", 1_124_886_528),  # "1.1B"
    # the Llama-shaped families of paramcalc.hf.llamalike (transformers 5.23's totals)
    ("granite-3.0-2b-base.json", "GraniteForCausalLM", 2_533_531_648),  # "2.53B"
    ("c4ai-command-r-v01.json", "CohereForCausalLM", 34_980_831_232),  # "35B"
    ("c4ai-command-r7b-12-2024.json", "Cohere2ForCausalLM", 8_028_033_024),  # "8.03B"
    ("starcoder2-3b.json", "Starcoder2ForCausalLM", 3_030_371_328),  # "3.03B"
    ("stablelm-3b-4e1t.json", "StableLmForCausalLM", 2_795_443_200),  # "2.8B"
    ("olmo-7b-hf.json", "OlmoForCausalLM", 6_888_095_744),  # "6.89B"
    ("glm-4-9b-chat-hf.json", "GlmForCausalLM", 9_399_951_360),  # "9.4B"
    ("glm-4-9b-0414.json", "Glm4ForCausalLM", 9_400_279_040),  # "9.4B"
    ("exaone-4.0-32b.json", "Exaone4ForCausalLM", 32_003_216_384),  # "32.0B"
    ("ernie-4.5-0.3b-pt.json", "Ernie4_5ForCausalLM", 360_748_032),  # "0.36B"
    ("smollm3-3b.json", "SmolLM3ForCausalLM", 3_075_098_624),  # "3.08B"
    ("seed-oss-36b-instruct.json", "SeedOssForCausalLM", 36_151_104_512),  # "36.15B"
    ("apertus-defaults.json", "ApertusForCausalLM", 6_979_596_352),  # config class defaults
    ("arcee-defaults.json", "ArceeForCausalLM", 4_022_766_080),  # config class defaults
    ("helium-defaults.json", "HeliumForCausalLM", 2_172_643_840),  # config class defaults
    ("bitnet-defaults.json", "BitNetForCausalLM", 2_741_155_840),  # config class defaults
    ("olmoe-1b-7b-0924.json", "OlmoeForCausalLM", 6_919_161_856),  # "6.9B"
    # paramcalc.hf.eleuther (transformers 5.23's totals of the config class defaults)
    ("gptj-defaults.json", "GPTJForCausalLM", 6_050_882_784),
    ("codegen-defaults.json", "CodeGenForCausalLM", 6_050_882_784),
    ("gpt-neo-defaults.json", "GPTNeoForCausalLM", 1_315_575_808),
    ("bloom-560m.json", "BloomForCausalLM", 559_214_592),  # "559M" (bloom-560m's card)
    ("persimmon-defaults.json", "PersimmonForCausalLM", 9_397_175_296),  # config class defaults
    ("xglm-defaults.json", "XGLMForCausalLM", 564_463_616),  # config class defaults: "564M"
    ("mpt-defaults.json", "MptForCausalLM", 1_311_213_568),  # config class defaults
    # paramcalc.hf.moe_families
    ("phimoe-defaults.json", "PhimoeForCausalLM", 41_872_793_600),  # defaults, unbiased
    ("granitemoe-defaults.json", "GraniteMoeForCausalLM", 37_039_116_288),  # config class defaults
    ("glm4-moe-defaults.json", "Glm4MoeForCausalLM", 103_481_200_640),  # config class defaults
    ("dbrx-instruct.json", "DbrxForCausalLM", 131_596_523_520),  # "132B", 36B active
    ("deepseek-v2-lite.json", "DeepseekV2ForCausalLM", 15_706_484_224),  # "15.7B", 2.4B active
    ("jetmoe-defaults.json", "JetMoeForCausalLM", 4_293_888_000),  # config class defaults
]


@pytest.mark.parametrize(("file", "kind", "total"), GOLDEN)
def test_published_totals(file: str, kind: str, total: int) -> None:
    """Each real checkpoint's config builds its class with its published total."""
    net = from_hf_config(FIXTURES / file)
    assert type(net).__name__ == kind
    assert net.params() == total


class TestMixtureOfExperts:
    """``active_params()``: what one token runs through, against each lab's published figure."""

    def test_mixtral(self) -> None:
        """Mixtral-8x7B: 46.7B total, 12.9B active (Mistral counts the embeddings)."""
        net = from_hf_config(config("mixtral-8x7b.json"))
        assert net.active_params() == 12_879_925_248
        experts = 3 * 4096 * 14336
        assert net.params() - net.active_params() == 32 * 6 * experts

    def test_qwen3_30b_a3b(self) -> None:
        """Qwen3-30B-A3B: 30.5B total, "3.3B activated" (3.35B with the embeddings)."""
        net = from_hf_config(config("qwen3-30b-a3b.json"))
        assert net.active_params() == 3_353_032_704
        assert round(net.params() / 1e9, 1) == 30.5

    def test_qwen15_moe(self) -> None:
        """Qwen1.5-MoE-A2.7B: 14.3B total, 2.7B activated (shared expert always in)."""
        net = from_hf_config(config("qwen1.5-moe-a2.7b.json"))
        assert round(net.active_params() / 1e9, 1) == 2.7

    def test_deepseek_v3(self) -> None:
        """DeepSeek-V3: 671B (no MTP module: transformers builds none), 37B activated."""
        net = from_hf_config(config("deepseek-v3.json"))
        assert net.active_params() == 37_552_282_624
        assert net.active_params(embeddings=False) == 36_625_603_584
        assert round(net.active_params(embeddings=False) / 1e9) == 37
        assert from_hf_config(config("deepseek-v3.json", num_nextn_predict_layers=3)).params() == (
            net.params()
        )

    def test_gpt_oss_20b(self) -> None:
        """gpt-oss-20b: 20.91B total, 3.61B active without the input embedding (model card)."""
        net = from_hf_config(config("gpt-oss-20b.json"))
        assert net.active_params(embeddings=False) == 3_608_307_264
        expert = 2880 * 5760 + 5760 + 2880 * 2880 + 2880  # gate_up, its bias, down, its bias
        assert net.params() - net.active_params() == 24 * (32 - 4) * expert
        assert round(net.active_params(embeddings=False) / 1e9, 2) == 3.61

    def test_olmoe(self) -> None:
        """OLMoE-1B-7B: 6.9B total, "1.3B active" (8 of 64 experts; embeddings in)."""
        net = from_hf_config(config("olmoe-1b-7b-0924.json"))
        assert net.active_params() == 1_282_017_280
        assert net.params() - net.active_params() == 16 * (64 - 8) * 3 * 2048 * 1024

    def test_dense_all_active(self) -> None:
        """A dense model runs every parameter; without embeddings it drops its token table."""
        net = from_hf_config(config("llama-2-7b.json"))
        assert net.active_params() == net.params()
        assert net.params() - net.active_params(embeddings=False) == 32000 * 4096

    def test_tied_table_goes_with_embeddings(self) -> None:
        """Qwen3-0.6B's tied table is left out whole: 0.44B "non-embedding" as Qwen reports."""
        net = from_hf_config(config("qwen3-0.6b.json"))
        assert net.active_params(embeddings=False) == 440_467_456

    def test_report_shows_active(self) -> None:
        """The text footer and the JSON totals carry the active count of an MoE only."""
        report = from_hf_config(config("mixtral-8x7b.json")).report()
        assert "Active params/token:   12,879,925,248 (12.9B)" in str(report)
        assert report.to_dict()["totals"]["active"] == 12_879_925_248
        dense = from_hf_config(config("gpt2.json")).report()
        assert "active" not in dense.to_dict()["totals"]
        assert "Active" not in str(dense)


def _attentions(net: Layer) -> list[Layer]:
    found: list[Layer] = []

    def walk(node: Layer) -> None:
        if isinstance(node, (DecoderAttention, LatentAttention)):
            found.append(node)
        elif isinstance(node, LayerStack):
            found.extend(attention for _, block in node.kinds() for attention in _attentions(block))
        elif isinstance(node, Composite):
            for _, child in node.children():
                walk(child)

    walk(net)
    return found


class TestCache:
    """``cache_shapes``: what transformers' cache holds per layer after a prefill."""

    def test_full_attention(self) -> None:
        """Llama: keys and values of every token, per key/value head."""
        layers = _attentions(from_hf_config(config("llama-2-7b.json")))
        assert len(layers) == 32
        assert layers[0].cache_shapes(100) == (("key", (32, 100, 128)), ("value", (32, 100, 128)))

    def test_sliding_window(self) -> None:
        """Mistral-7B-v0.1 (no layer_types, a window): every layer keeps its last W - 1 tokens."""
        layers = _attentions(from_hf_config(config("mistral-7b.json")))
        assert {attention.kind for attention in layers} == {"sliding_attention"}  # type: ignore[attr-defined]
        assert layers[0].cache_shapes(10_000)[0] == ("key", (8, 4095, 128))
        assert layers[0].cache_shapes(100)[0] == ("key", (8, 100, 128))

    def test_gemma3_pattern(self) -> None:
        """Gemma 3: five sliding layers (window 512) then one global, as its layer_types."""
        layers = _attentions(from_hf_config(config("gemma-3-1b-it.json")))
        kinds = [attention.kind for attention in layers]  # type: ignore[attr-defined]
        assert kinds[:6] == ["sliding_attention"] * 5 + ["full_attention"]
        assert layers[0].sliding_window == 512  # type: ignore[attr-defined]
        assert layers[0].cache_shapes(4096)[0] == ("key", (1, 511, 256))
        assert layers[5].cache_shapes(4096)[0] == ("key", (1, 4096, 256))

    def test_gpt_oss_alternates(self) -> None:
        """gpt-oss: sliding (128) and full layers alternate; 8 key/value heads of 64."""
        layers = _attentions(from_hf_config(config("gpt-oss-20b.json")))
        assert layers[0].cache_shapes(1000)[0] == ("key", (8, 127, 64))
        assert layers[1].cache_shapes(1000)[0] == ("key", (8, 1000, 64))

    def test_latent(self) -> None:
        """DeepSeek-V3 caches the compressed latent and the rotary key, one head each."""
        layers = _attentions(from_hf_config(config("deepseek-v3.json")))
        assert len(layers) == 61
        assert layers[0].cache_shapes(10) == (("key", (1, 10, 512)), ("value", (1, 10, 64)))

    def test_cross_attention(self) -> None:
        """GPT-2 with cross-attention caches the encoder's keys and values too."""
        layers = _attentions(from_hf_config(config("gpt2.json", add_cross_attention=True)))
        assert layers[1].kind == "cross_attention"  # type: ignore[attr-defined]
        assert layers[1].cache_shapes(5, 7)[0] == ("key", (12, 7, 64))


class TestHeads:
    """``architectures[0]`` decides the head; an unknown class is refused by name."""

    @pytest.mark.parametrize(
        ("file", "head", "extra"),
        [
            ("llama-2-7b.json", "LlamaForSequenceClassification", 3 * 4096 - 32000 * 4096),
            ("llama-2-7b.json", "LlamaForTokenClassification", 3 * 4096 + 3 - 32000 * 4096),
            ("llama-2-7b.json", "LlamaForQuestionAnswering", 2 * 4096 + 2 - 32000 * 4096),
            ("llama-2-7b.json", "LlamaModel", -32000 * 4096),
            ("gpt2.json", "GPT2ForTokenClassification", 3 * 768 + 3),
            ("phi-2.json", "PhiForSequenceClassification", 3 * 2560 - 51200 * 2561),
        ],
    )
    def test_heads(self, file: str, head: str, extra: int) -> None:
        """Heads replace the LM head: ``score`` (no bias), ``classifier``, ``qa_outputs``."""
        labels = {"0": "a", "1": "b", "2": "c"}
        base = from_hf_config(config(file)).params()
        net = from_hf_config(config(file, architectures=[head], id2label=labels))
        assert type(net).__name__ == head
        assert net.params() == base + extra

    def test_question_answering_prefix(self) -> None:
        """Llama's question answering keeps the base model under ``transformer``."""
        net = from_hf_config(config("llama-2-7b.json", architectures=["LlamaForQuestionAnswering"]))
        assert next(net.named_parameters())[0] == "transformer.embed_tokens.weight"

    def test_unknown_head_refused(self) -> None:
        """A class the family does not define is refused with the list of those it does."""
        with pytest.raises(ConfigError, match=r"'LlamaForMaskedLM' .* known: LlamaForCausalLM, "):
            from_hf_config(config("llama-2-7b.json", architectures=["LlamaForMaskedLM"]))
        with pytest.raises(ConfigError, match=r"'GPT2DoubleHeadsModel'"):
            from_hf_config(config("gpt2.json", architectures=["GPT2DoubleHeadsModel"]))

    def test_no_architectures(self) -> None:
        """Without ``architectures`` the family's causal LM is built."""
        data = config("mistral-7b.json")
        del data["architectures"]
        assert type(from_hf_config(data)).__name__ == "MistralForCausalLM"

    def test_labels(self) -> None:
        """``num_labels`` counts when there is no ``id2label``; the two must agree."""
        head = ["Qwen2ForSequenceClassification"]
        net = from_hf_config(config("qwen2-0.5b.json", architectures=head, num_labels=5))
        assert dict(net.named_parameters())["score.weight"] == (5, 896)
        with pytest.raises(ConfigError, match=r"`num_labels`=3 .* `id2label`, which has 2"):
            from_hf_config(
                config(
                    "qwen2-0.5b.json", architectures=head, num_labels=3, id2label={0: "a", 1: "b"}
                )
            )

    def test_gemma_tied_by_default(self) -> None:
        """Gemma ties its head unless told not to (``tie_word_embeddings`` defaults to true)."""
        tied = from_hf_config(config("gemma-2b.json"))
        untied = from_hf_config(config("gemma-2b.json", tie_word_embeddings=False))
        assert untied.params() - tied.params() == 256000 * 2048


class TestRefused:
    """Values paramcalc does not build are refused, naming key and value."""

    @pytest.mark.parametrize(
        ("file", "changes", "message"),
        [
            ("deepseek-v3.json", {"moe_layer_freq": 2}, r"`moe_layer_freq`=2"),
            (
                "gpt_bigcode-santacoder.json",
                {"add_cross_attention": True},
                r"`add_cross_attention`",
            ),
            ("gemma-2-2b.json", {"layer_types": ["full_attention"]}, r"`layer_types` must list"),
            ("mixtral-8x7b.json", {"num_experts_per_tok": 9}, r"`num_experts_per_tok` must be"),
            ("qwen3-30b-a3b.json", {"mlp_only_layers": "all"}, r"`mlp_only_layers` must be"),
            ("llama-2-7b.json", {"num_key_value_heads": 5}, r"divisible by `num_key_value_heads`"),
            ("llama-2-7b.json", {"attention_bias": "yes"}, r"`attention_bias` .* must be a bool"),
        ],
    )
    def test_refused(self, file: str, changes: dict[str, Any], message: str) -> None:
        """Each is a ConfigError naming the key."""
        with pytest.raises((ConfigError, TypeError), match=message):
            from_hf_config(config(file, **changes))


class TestStacks:
    """Layer stacks: runs of equal layers, named 0 … n-1 as a ModuleList."""

    def test_deepseek_names(self) -> None:
        """Three dense layers then 58 MoE ones, numbered on; sized without enumerating names."""
        net = from_hf_config(config("deepseek-v3.json"))
        names = [name for name, _ in net.named_parameters()]
        assert "model.layers.2.mlp.gate_proj.weight" in names
        assert "model.layers.3.mlp.experts.gate_up_proj" in names
        assert "model.layers.60.mlp.shared_experts.down_proj.weight" in names
        assert "model.layers.61.input_layernorm.weight" not in names

    def test_report_rows_add_up(self) -> None:
        """A mixed stack's report covers its 26 layers (alike ones in ×N groups); leaves add up."""
        report = from_hf_config(config("gemma-3-1b-it.json")).report((16,))
        assert sum(row.params for row in report.rows if row.leaf) == report.params
        layers = [
            row for row in report.rows if row.depth == 2 and row.path.startswith("model.layers.")
        ]
        assert sum(row.repeat for row in layers) == 26

    def test_freeze_mixed_stack(self) -> None:
        """Freezing all or a whole stack works; some copies only is refused."""
        net = from_hf_config(config("deepseek-v3.json", num_hidden_layers=5))
        assert net.freeze().trainable_params() == 0
        assert net.freeze("model.layers").trainable_params() < net.params()
        with pytest.raises(ConfigError, match="some copies only"):
            net.freeze("model.layers.4")


class TestCommandLine:
    """``paramcalc config.json``, ``paramcalc folder/`` and ``--from hf``."""

    def test_config_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A config.json gives the report, with the active count for an MoE."""
        assert main([str(FIXTURES / "gpt-oss-20b.json"), "--depth", "1"]) == 0
        out = capsys.readouterr().out
        assert "Total params:          20,914,757,184 (20.9B)" in out
        assert "Active params/token:    4,187,440,704 (4.19B)" in out

    def test_folder_and_total(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A model folder is read through its config.json; --total prints the number."""
        (tmp_path / "config.json").write_text((FIXTURES / "deepseek-v3.json").read_text())
        assert main([str(tmp_path), "--total"]) == 0
        assert capsys.readouterr().out == "671026404352\n"

    def test_from_hf(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--from hf reads the file as a config, warnings on standard error."""
        path = FIXTURES / "opt-125m.json"
        assert main(["--from", "hf", str(path), "--total"]) == 0
        assert capsys.readouterr().out == "125239296\n"

    def test_folder_without_config(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A folder without config.json is a usage error."""
        assert main([str(tmp_path)]) == 2
        assert "no config.json in the folder" in capsys.readouterr().err


def test_freeze_one_layer_of_a_kind() -> None:
    """Layers of different kinds share no module: freezing the one dense layer freezes it only."""
    net = from_hf_config(config("qwen3-30b-a3b.json", num_hidden_layers=3, mlp_only_layers=[1]))
    frozen = net.freeze("model.layers.1")
    layer = sum(numel for name, numel in _sizes(net) if name.startswith("model.layers.1."))
    assert frozen.trainable_params() == net.params() - layer
    attention = net.freeze("model.layers.1.self_attn")
    assert net.params() - attention.trainable_params() == sum(
        numel for name, numel in _sizes(net) if name.startswith("model.layers.1.self_attn.")
    )


def _sizes(net: Layer) -> list[tuple[str, int]]:
    import math

    return [(name, math.prod(shape)) for name, shape in net.named_parameters()]
