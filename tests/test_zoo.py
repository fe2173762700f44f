"""The zoo against published totals, names and MACs.

Totals are the published figures: torchvision's model documentation
("num_params" of each weights entry), Hugging Face model cards and configs,
and the seed post for LeNet-5. MACs are ``FlopCounterMode`` totals / 2 as
stated in the issue (ResNet-50, VGG-16) or computed by hand where noted.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError, zoo
from paramcalc.zoo.language import gpt2, llama

_NEEDS_PARAMETER = pytest.mark.xfail(
    not hasattr(pc, "Parameter"), reason="needs Parameter (layers-a)", strict=False
)

PUBLISHED = [
    ("lenet5", 61_706),
    ("alexnet", 61_100_840),
    ("vgg11", 132_863_336),
    ("vgg16", 138_357_544),
    ("vgg16_bn", 138_365_992),
    ("resnet18", 11_689_512),
    ("resnet34", 21_797_672),
    ("resnet50", 25_557_032),
    ("resnet101", 44_549_160),
    ("resnet152", 60_192_808),
    ("mobilenet_v2", 3_504_872),
    ("squeezenet1_0", 1_248_424),
    ("densenet121", 7_978_856),
    ("googlenet", 6_624_904),
    ("efficientnet_b0", 5_288_548),
    pytest.param("vit_b_16", 86_567_656, marks=_NEEDS_PARAMETER),
    pytest.param("convnext_tiny", 28_589_128, marks=_NEEDS_PARAMETER),
    ("bert-base", 109_482_240),
    ("gpt2", 124_439_808),
    ("gpt2-untied", 163_037_184),
    ("gpt2-medium", 354_823_168),
    ("gpt2-large", 774_030_080),
    ("gpt2-xl", 1_557_611_200),
    ("llama2-7b", 6_738_415_616),
    ("llama2-13b", 13_015_864_320),
    ("llama2-70b", 68_976_648_192),
    ("llama3-8b", 8_030_261_248),
    ("mistral-7b", 7_241_732_096),
    ("qwen2-0.5b", 494_032_768),
]


@pytest.mark.parametrize(("name", "published"), PUBLISHED)
def test_total_matches_published(name: str, published: int) -> None:
    """Each zoo network's total is its published parameter count; all are trainable."""
    net = zoo.get(name)
    assert net.params() == published
    assert net.trainable_params() == published
    assert zoo.entry(name).published == published


@pytest.mark.parametrize(("name", "published"), PUBLISHED)
def test_runs_at_standard_input(name: str, published: int) -> None:
    """Each network runs at its standard input; report rows add up to the total."""
    item = zoo.entry(name)
    net = item.build()
    report = net.report(item.input_shape)
    assert report.params == published
    assert sum(row.params for row in report.leaves()) == published
    assert report.macs == net.macs(item.input_shape) > 0


@pytest.mark.parametrize(
    ("name", "macs"),
    [
        ("resnet50", 4_089_184_256),  # FlopCounterMode / 2 at 3×224×224
        ("vgg16", 15_470_264_320),  # FlopCounterMode / 2 at 3×224×224
        ("lenet5", 416_520),  # 117,600 + 240,000 + 48,000 + 10,080 + 840 by hand
    ],
)
def test_macs_match_flop_counter(name: str, macs: int) -> None:
    """Published FlopCounterMode/2 figures at the standard input."""
    item = zoo.entry(name)
    assert item.build().macs(item.input_shape) == macs


TORCHVISION_OPS = [
    ("alexnet", 0.714),
    ("vgg11", 7.609),
    ("vgg16", 15.47),
    ("resnet18", 1.814),
    ("resnet34", 3.664),
    ("resnet50", 4.089),
    ("resnet101", 7.801),
    ("resnet152", 11.514),
    ("mobilenet_v2", 0.301),
    ("squeezenet1_0", 0.819),
    ("densenet121", 2.834),
    ("googlenet", 1.498),
    ("efficientnet_b0", 0.386),
    ("vit_b_16", 17.564),
    ("convnext_tiny", 4.456),
]


@pytest.mark.parametrize(("name", "giga"), TORCHVISION_OPS)
def test_macs_match_torchvision_metadata(name: str, giga: float) -> None:
    """torchvision's weights metadata ``_ops`` (GFLOPS counted as MACs at 224), to its digits."""
    item = zoo.entry(name)
    digits = len(str(giga).partition(".")[2])
    assert round(item.build().macs(item.input_shape) / 1e9, digits) == giga


def test_gpt2_macs_by_hand() -> None:
    """GPT-2 small at 1024 tokens: per layer 4·L·E² + 2·L²·E + 8·L·E², plus the head."""
    length, width, vocab = 1024, 768, 50257
    per_layer = 12 * length * width * width + 2 * length * length * width
    assert gpt2().macs((length,)) == 12 * per_layer + length * width * vocab


def test_llama_gqa_macs_by_hand() -> None:
    """Mistral-7B: q/o full width, k/v 8 heads of 128, attention over all 32 query heads."""
    length, hidden, kv, inter, vocab = 16, 4096, 1024, 14336, 32000
    projections = 2 * hidden * hidden + 2 * hidden * kv
    per_layer = length * (projections + 3 * hidden * inter) + 2 * length * length * hidden
    assert zoo.get("mistral-7b").macs((length,)) == 32 * per_layer + length * hidden * vocab


class TestNames:
    def test_resnet50_names(self) -> None:
        """torchvision's resnet50: 161 parameter tensors, 159 buffers, its names in order."""
        net = zoo.get("resnet50")
        names = [name for name, _ in net.named_parameters()]
        assert len(names) == 161
        assert names[:4] == ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"]
        assert "layer1.0.downsample.0.weight" in names
        assert "layer1.1.downsample.0.weight" not in names
        assert names[-2:] == ["fc.weight", "fc.bias"]
        assert len(list(net.named_buffers())) == 159

    def test_vgg16_names(self) -> None:
        """torchvision's vgg16: features.0 … features.28, classifier.0/3/6."""
        names = [name for name, _ in zoo.get("vgg16").named_parameters()]
        assert names[:2] == ["features.0.weight", "features.0.bias"]
        assert names[-6:] == [
            "classifier.0.weight",
            "classifier.0.bias",
            "classifier.3.weight",
            "classifier.3.bias",
            "classifier.6.weight",
            "classifier.6.bias",
        ]
        assert "features.28.weight" in names

    def test_gpt2_tied_head(self) -> None:
        """The tied head adds no tensor (torch dedups lm_head.weight); its row names the tie."""
        net = gpt2()
        names = [name for name, _ in net.named_parameters()]
        assert names[:2] == ["transformer.wte.weight", "transformer.wpe.weight"]
        assert "transformer.h.11.mlp.c_proj.bias" in names
        assert "lm_head.weight" not in names
        assert len(names) == 2 + 12 * 12 + 2
        report = net.report((8,))
        head = next(row for row in report.rows if row.path == "lm_head")
        assert head.shared_with == "transformer.wte.weight"
        assert head.params == 0
        assert (report.params, report.params_per_use) == (124_439_808, 163_037_184)

    def test_gpt2_untied_head(self) -> None:
        """Untied, lm_head.weight is a tensor of its own."""
        names = [name for name, _ in gpt2(tie_word_embeddings=False).named_parameters()]
        assert names[-1] == "lm_head.weight"

    def test_llama_names(self) -> None:
        """Hugging Face's LlamaForCausalLM names in registration order."""
        names = [name for name, _ in zoo.get("llama2-7b").named_parameters()]
        assert names[:10] == [
            "model.embed_tokens.weight",
            "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight",
            "model.layers.0.self_attn.o_proj.weight",
            "model.layers.0.mlp.gate_proj.weight",
            "model.layers.0.mlp.up_proj.weight",
            "model.layers.0.mlp.down_proj.weight",
            "model.layers.0.input_layernorm.weight",
            "model.layers.0.post_attention_layernorm.weight",
        ]
        assert names[-2:] == ["model.norm.weight", "lm_head.weight"]
        assert len(names) == 1 + 32 * 9 + 2

    def test_bert_names(self) -> None:
        """Hugging Face's BertModel names."""
        names = [name for name, _ in zoo.get("bert-base").named_parameters()]
        assert names[:3] == [
            "embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight",
        ]
        assert "encoder.layer.11.attention.self.query.weight" in names
        assert "encoder.layer.0.attention.output.LayerNorm.bias" in names
        assert names[-2:] == ["pooler.dense.weight", "pooler.dense.bias"]


class TestFamilies:
    def test_keywords_size_a_family(self) -> None:
        """One function sizes a family: classes, depth, widths, heads, tying."""
        assert zoo.get("resnet50", num_classes=10).params() == 25_557_032 - 2048 * 990 - 990
        assert zoo.resnet(50, groups=32, width_per_group=4).params() == 25_028_904  # resnext50
        assert zoo.resnet(50, width_per_group=128).params() == 68_883_240  # wide_resnet50_2
        assert zoo.vgg(19).params() == 143_667_240
        assert zoo.densenet(161, growth_rate=48, num_init_features=96).params() == 28_681_000
        assert zoo.squeezenet("1_1").params() == 1_235_496
        assert zoo.qwen2(tie_word_embeddings=False).params() == 494_032_768 + 151936 * 896

    def test_llama_70b_is_cheap(self) -> None:
        """Llama-2-70B counts with no per-layer work: memory does not grow with the size."""
        sizes: dict[str, Any] = {
            "hidden_size": 8192,
            "intermediate_size": 28672,
            "num_attention_heads": 64,
            "num_key_value_heads": 8,
        }
        tracemalloc.start()
        try:
            big = llama(num_hidden_layers=80, **sizes)
            assert big.params() == 68_976_648_192
            assert big.macs((4096,)) > 0
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 512 * 1024

    def test_sequence_longer_than_positions(self) -> None:
        """GPT-2 has 1024 positions: a longer sequence is a ShapeError naming the table."""
        with pytest.raises(
            ShapeError,
            match=r"^transformer \(GPT2Model\) has 1024 positions in `wpe` but receives "
            r"a sequence of 2048",
        ):
            gpt2().output_shape((2048,))

    @pytest.mark.parametrize(
        ("build", "message"),
        [
            (lambda: zoo.resnet(20), r"resnet: `depth` must be one of 18, 34, 50, 101, 152"),
            (lambda: zoo.vgg(12), r"vgg: `depth` must be one of 11, 13, 16, 19"),
            (lambda: gpt2("tiny"), r"gpt2: `size` must be one of 'small'"),
            (
                lambda: llama(num_attention_heads=32, num_key_value_heads=5),
                r"`num_attention_heads` must be divisible by `num_key_value_heads`",
            ),
            (lambda: llama(hidden_size=100), r"`hidden_size` must be divisible by"),
            (lambda: zoo.get("resnet-50x"), r"zoo: unknown model 'resnet-50x'"),
        ],
    )
    def test_invalid(self, build: Any, message: str) -> None:
        """Bad family arguments and unknown names are ConfigErrors naming the argument."""
        with pytest.raises(ConfigError, match=message):
            build()


def test_registry() -> None:
    """names() lists the gallery; entry() is case and dash insensitive."""
    assert zoo.names()[0] == "lenet5"
    assert len(zoo.names()) == len(PUBLISHED)
    assert zoo.entry("ResNet-50") == zoo.entry("resnet50")
    assert zoo.entry("vgg16-bn").name == "vgg16_bn"


def test_freeze_keeps_block_types() -> None:
    """Freezing a zoo network keeps its block classes and freezes everything."""
    net = zoo.get("resnet18").freeze()
    assert net.trainable_params() == 0
    assert type(net).__name__ == "ResNet"
    layer1 = dict(net.children())["layer1"]
    assert type(dict(layer1.children())["0"]).__name__ == "BasicBlock"
    head = zoo.get("googlenet").freeze("fc")
    assert head.trainable_params() == 6_624_904 - (1024 * 1000 + 1000)
    assert type(dict(head.children())["inception3a"]).__name__ == "Inception"


def test_vit_position_table_fixes_the_image_size() -> None:
    """ViT-B/16 adds a 197-position table: 256×256 images (257 tokens) do not fit, as in torch."""
    with pytest.raises(
        ShapeError,
        match=r"^encoder \(ViTEncoder\) adds a position table of shape \(197, 768\) to a "
        r"sequence of shape \(257, 768\)$",
    ):
        zoo.get("vit_b_16").output_shape((3, 256, 256))
    assert zoo.vit_b_16(image_size=256).params() == 86_567_656 + 60 * 768


@pytest.mark.parametrize(
    ("extra", "error"), [(-1000, ConfigError), (1.5, ConfigError), (True, ConfigError)]
)
def test_tokens_extra_is_validated(extra: object, error: type[Exception]) -> None:
    """Tokens(extra) takes an int >= 0: no negative or fractional token counts."""
    from paramcalc.zoo._common import Tokens

    with pytest.raises(error, match="Tokens: `extra`"):
        Tokens(extra)  # type: ignore[arg-type]
    assert Tokens(1).output_shape((768, 14, 14)) == (197, 768)  # ViT: 14·14 + 1 class token
