"""More of the table of :mod:`paramcalc.printed_classes`: attention variants and fused experts.

Attention modules that hold tensors beside their printed projections
(XLNet's and Funnel's relative attention, RWKV's time mixing, BEiT's and EVA's
q/v biases), the layer scales of timm's BEiT, CaiT and ResMLP, and Hugging
Face's fused mixture-of-experts layers, whose sizes only the config holds:
``read_printed(text, experts=8, expert_width=14336)`` supplies them.

Where a tensor's split into heads is not printed, its shape uses the library's
default head width (64); the count does not depend on it.

>>> sorted(MORE_MODULES)[:3]
['Beit', 'Beit/Attention', 'Beit/Block']
"""

from __future__ import annotations

from paramcalc.layer import Layer
from paramcalc.printed_classes import LeafRule, ModuleRule, Seen, Tensors, find
from paramcalc.printed_holding import in_width, out_width

__all__ = ["MORE_LEAVES", "MORE_MODULES", "moe_experts", "moe_router"]


def _child_width(seen: Seen, *names: str, output: bool = True) -> int:
    for name in names:
        layer = seen.children.get(name)
        width = (out_width(layer) if output else in_width(layer)) if layer is not None else None
        if width is not None:
            return width
    raise LookupError(f"none of {', '.join(names)} is printed")


def _heads(width: int, head: int = 64) -> tuple[int, int]:
    return (width // head, head) if width % head == 0 else (1, width)


def _xlnet_attention(seen: Seen) -> Tensors:
    width = _child_width(seen, "layer_norm")
    heads = _heads(width)
    found: Tensors = [(name, (width, *heads)) for name in ("q", "k", "v", "o", "r")]
    found += [(name, heads) for name in ("r_r_bias", "r_s_bias", "r_w_bias")]
    return [*found, ("seg_embed", (2, *heads))]


def _funnel_attention(seen: Seen) -> Tensors:
    width = _child_width(seen, "q_head")
    heads = _heads(width)
    return [
        ("r_w_bias", heads),
        ("r_r_bias", heads),
        ("r_kernel", (width, *heads)),
        ("r_s_bias", heads),
        ("seg_embed", (2, *heads)),
    ]


def _rwkv_attention(seen: Seen) -> Tensors:
    hidden = _child_width(seen, "key", output=False)
    inner = _child_width(seen, "key")
    mixes = [(name, (1, 1, hidden)) for name in ("time_mix_key", "time_mix_value")]
    return [
        ("time_decay", (inner,)),
        ("time_first", (inner,)),
        *mixes,
        ("time_mix_receptance", (1, 1, hidden)),
    ]


def _rwkv_feed_forward(seen: Seen) -> Tensors:
    hidden = _child_width(seen, "key", output=False)
    return [("time_mix_key", (1, 1, hidden)), ("time_mix_receptance", (1, 1, hidden))]


def _xlnet_model(seen: Seen) -> Tensors:
    return [("mask_emb", (1, 1, _child_width(seen, "word_embedding")))]


def _patch_side(seen: Seen) -> tuple[int, int]:
    conv = find(seen.children, "Conv2d")
    if conv is None:
        raise LookupError("no patch convolution is printed")
    kernel = getattr(conv, "kernel_size", (16,))
    side = int(kernel[0]) if isinstance(kernel, tuple) else int(kernel)
    return int(getattr(conv, "out_channels", 0)), side


def _image(seen: Seen, what: str) -> int:
    if seen.image_size is None:
        seen.doubt(f"{what} assume 224×224 images; set image_size= (--image-size) for another")
        return 224
    return seen.image_size


def _timm_tokens(class_in_pos: bool, *tokens: str) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        hidden, side = _patch_side(seen)
        patches = (_image(seen, "pos_embed rows") // side) ** 2
        rows = patches + (len(tokens) if class_in_pos else 0)
        found: Tensors = [(token, (1, 1, hidden)) for token in tokens]
        return [*found, ("pos_embed", (1, rows, hidden))]

    return rule


def _beit(seen: Seen) -> Tensors:
    hidden, _ = _patch_side(seen)
    return [("cls_token", (1, 1, hidden))]


def _beit_attention(seen: Seen) -> Tensors:
    width = _child_width(seen, "qkv", output=False)
    heads, _ = _heads(width)
    window = _image(seen, "BEiT's relative position tables") // 16
    rows = (2 * window - 1) ** 2 + 3
    return [("q_bias", (width,)), ("v_bias", (width,)), ("relative_position_bias_table", (rows, heads))]


def _gammas(child: str, *names: str) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        width = _child_width(seen, child)
        return [(name, (width,)) for name in names]

    return rule


def _qv_biases(seen: Seen) -> Tensors:
    width = _child_width(seen, "qkv", "q_proj", output=False)
    return [("q_bias", (width,)), ("v_bias", (width,))]


def _affine(seen: Seen, layer: Layer | None) -> Tensors:
    mlp = seen.siblings.get("mlp_channels")  # ResMLP: the channels, not the tokens beside it
    width = (in_width(mlp) if mlp is not None else None) or seen.need_width()
    return [("alpha", (1, 1, width)), ("beta", (1, 1, width))]


def _learnable_affine(seen: Seen, layer: Layer | None) -> Tensors:
    return [("scale", (1,)), ("bias", (1,))]


def _sinks(seen: Seen) -> Tensors:
    width = _child_width(seen, "q_proj")
    seen.doubt("sinks are read with 64-wide heads (GptOssConfig's head_dim; not printed)")
    return [("sinks", (width // 64,))]


def _gemma3_projector(seen: Seen) -> Tensors:
    vision = _child_width(seen, "mm_soft_emb_norm")
    if seen.hidden is None:
        raise LookupError("the language model's width is not printed")
    return [("mm_input_projection_weight", (vision, seen.hidden))]


def _rglru(seen: Seen, layer: Layer | None) -> Tensors:
    width = seen.need_width()
    heads = 10
    seen.doubt(
        f"RG-LRU gates are read with {heads} heads (RecurrentGemmaConfig's num_attention_heads; "
        "not printed)"
    )
    block = width // heads
    return [
        ("recurrent_param", (width,)),
        ("input_gate_weight", (heads, block, block)),
        ("input_gate_bias", (heads, block)),
        ("recurrent_gate_weight", (heads, block, block)),
        ("recurrent_gate_bias", (heads, block)),
    ]


MORE_MODULES: dict[str, ModuleRule] = {
    "GptOssAttention": _sinks,
    "Gemma3MultiModalProjector": _gemma3_projector,
    "XLNetRelativeAttention": _xlnet_attention,
    "XLNetModel": _xlnet_model,
    "FunnelRelMultiheadAttention": _funnel_attention,
    "RwkvSelfAttention": _rwkv_attention,
    "RwkvFeedForward": _rwkv_feed_forward,
    "Beit": _beit,
    "Beit/Block": _gammas("norm1", "gamma_1", "gamma_2"),
    "Beit/Attention": _beit_attention,
    "Eva": _timm_tokens(True, "cls_token"),
    "EvaAttention": _qv_biases,
    "Cait": _timm_tokens(False, "cls_token"),
    "LayerScaleBlock": _gammas("norm1", "gamma_1", "gamma_2"),
    "LayerScaleBlockClassAttn": _gammas("norm1", "gamma_1", "gamma_2"),
    "ConVit": _timm_tokens(False, "cls_token"),
    "MlpMixer/ResBlock": _gammas("mlp_channels", "ls1", "ls2"),
}
"""Printed class name (or ``Root/Class`` where a name means different things) -> own tensors."""

MORE_LEAVES: dict[str, tuple[str | None, LeafRule]] = {
    "Affine": (None, _affine),
    "LearnableAffineBlock": (None, _learnable_affine),
    "RecurrentGemmaRglru": (None, _rglru),
}


_OPTIONS = "pass experts= and expert_width= (--experts, --expert-width) to count them"


def moe_router(seen: Seen, layer: Layer | None) -> Tensors:
    """A fused MoE router ``XTopKRouter()``: weight ``(experts, hidden)`` (and GPT-OSS's bias)."""
    if seen.experts is None or seen.hidden is None:
        raise LookupError(f"a fused mixture-of-experts router prints no sizes: {_OPTIONS}")
    found: Tensors = [("weight", (seen.experts, seen.hidden))]
    if seen.kind.startswith("GptOss"):
        found.append(("bias", (seen.experts,)))
    return found


def moe_experts(seen: Seen) -> Tensors:
    """Fused experts: ``gate_up_proj (E, 2I, H)`` and ``down_proj (E, H, I)`` (GPT-OSS: biases)."""
    experts, width, hidden = seen.experts, seen.expert_width, seen.hidden
    if experts is None or width is None or hidden is None:
        raise LookupError(f"fused mixture-of-experts tensors print no sizes: {_OPTIONS}")
    if seen.kind.startswith("GptOss"):
        return [
            ("gate_up_proj", (experts, hidden, 2 * width)),
            ("gate_up_proj_bias", (experts, 2 * width)),
            ("down_proj", (experts, width, hidden)),
            ("down_proj_bias", (experts, hidden)),
        ]
    return [("gate_up_proj", (experts, 2 * width, hidden)), ("down_proj", (experts, hidden, width))]
