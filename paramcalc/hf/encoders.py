"""Encoder models: BERT, RoBERTa and DistilBERT, with every head ``transformers`` gives them.

Tensors as ``transformers`` 5.23's ``modeling_bert.py``, ``modeling_roberta.py``
and ``modeling_distilbert.py`` allocate them; the masked-LM decoders are tied
to the word embeddings (their bias is the head's own ``bias``) unless
``tie_word_embeddings`` is false.

>>> from paramcalc.hf import from_hf_config
>>> base = {"model_type": "bert", "vocab_size": 30522, "hidden_size": 768,
...         "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}
>>> masked = {**base, "architectures": ["BertForMaskedLM"]}
>>> from_hf_config(base).params(), from_hf_config(masked).params()
(109482240, 109514298)
"""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.graph import Repeat
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import num_labels
from paramcalc.hf.parts import head, model, typed
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import FirstToken, Net, SelfAttention, Step, SummedEmbeddings

__all__ = ["build_bert", "build_distilbert", "build_roberta"]

_BERT_HEADS = (
    "Model",
    "ForPreTraining",
    "LMHeadModel",
    "ForMaskedLM",
    "ForNextSentencePrediction",
    "ForSequenceClassification",
    "ForMultipleChoice",
    "ForTokenClassification",
    "ForQuestionAnswering",
)
_ROBERTA_HEADS = (
    "Model",
    "ForCausalLM",
    "ForMaskedLM",
    "ForSequenceClassification",
    "ForMultipleChoice",
    "ForTokenClassification",
    "ForQuestionAnswering",
)
_DISTILBERT_HEADS = (
    "Model",
    "ForMaskedLM",
    "ForSequenceClassification",
    "ForMultipleChoice",
    "ForTokenClassification",
    "ForQuestionAnswering",
)
# BertModel(config, add_pooling_layer=...) as each head builds it (RoBERTa's differ below)
_POOLED = {
    "Model",
    "ForPreTraining",
    "ForNextSentencePrediction",
    "ForSequenceClassification",
    "ForMultipleChoice",
}


def _post_norm(name: str, width: int, inner: int, eps: float) -> Net:
    """``dense``, dropout, ``LayerNorm(x + input)``: BertSelfOutput and BertOutput."""
    return model(
        name,
        {
            "dense": pc.Linear(inner, width),
            "LayerNorm": pc.LayerNorm(width, eps=eps),
            "dropout": pc.Dropout(0.1),
        },
        ["dense", "dropout", "LayerNorm"],
    )


def _bert_attention(family: str, width: int, heads: int, eps: float, cross: bool) -> Net:
    kind = f"{family}CrossAttention" if cross else f"{family}SelfAttention"
    self_attention = typed(kind, SelfAttention)(
        {name: pc.Linear(width, width) for name in ("query", "key", "value")},
        ["query", "key", "value"],
        [],
        num_heads=heads,
        head_dim=width // heads,
    )
    output = _post_norm(f"{family}SelfOutput", width, width, eps)
    return model(f"{family}Attention", {"self": self_attention, "output": output})


def _encoder_config(config: HFConfig) -> tuple[int, int, int, int, float]:
    width = config.size("hidden_size")
    heads = config.size("num_attention_heads")
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `hidden_size` must be divisible by "
            f"`num_attention_heads`. Received: hidden_size={width}, num_attention_heads={heads}."
        )
    layers = config.size("num_hidden_layers")
    inner = config.size("intermediate_size")
    eps = config.option("layer_norm_eps", 1e-12)
    config.ignore(
        "hidden_act",
        "hidden_dropout_prob",
        "attention_probs_dropout_prob",
        "classifier_dropout",
        "position_embedding_type",  # not read by transformers 5.23: absolute positions always
        "use_cache",
    )
    return width, heads, layers, inner, eps


def _bert_like(config: HFConfig, family: str, pooled: bool) -> Net:
    """``BertModel`` or ``RobertaModel``: embeddings, post-norm layers, optional pooler."""
    width, heads, layers, inner, eps = _encoder_config(config)
    vocab = config.size("vocab_size")
    positions = config.size("max_position_embeddings", 512)
    types = config.size("type_vocab_size", 2)
    pad = config.size("pad_token_id", 1 if family == "Roberta" else 0, minimum=0)
    is_decoder = config.option("is_decoder", False)
    cross = config.option("add_cross_attention", False)
    if cross and not is_decoder:
        raise ConfigError(
            f"from_hf_config: {config.where}: `add_cross_attention`=True needs `is_decoder`=True "
            "(transformers refuses it: cross-attention is added to decoders only). "
            "Received: is_decoder=False."
        )
    block: dict[str, Layer] = {"attention": _bert_attention(family, width, heads, eps, False)}
    if cross:
        block["crossattention"] = _bert_attention(family, width, heads, eps, True)
    block["intermediate"] = model(
        f"{family}Intermediate",
        {"dense": pc.Linear(width, inner), "intermediate_act_fn": pc.GELU()},
    )
    block["output"] = _post_norm(f"{family}Output", width, inner, eps)
    word = pc.Embedding(vocab, width, padding_idx=pad)
    if family == "Roberta":
        tables: dict[str, Layer] = {
            "word_embeddings": word,
            "token_type_embeddings": pc.Embedding(types, width),
            "LayerNorm": pc.LayerNorm(width, eps=eps),
            "dropout": pc.Dropout(0.1),
            "position_embeddings": pc.Embedding(positions, width, padding_idx=pad),
        }
    else:
        tables = {
            "word_embeddings": word,
            "position_embeddings": pc.Embedding(positions, width),
            "token_type_embeddings": pc.Embedding(types, width),
            "LayerNorm": pc.LayerNorm(width, eps=eps),
            "dropout": pc.Dropout(0.1),
        }
    modules: dict[str, Layer] = {
        "embeddings": typed(f"{family}Embeddings", SummedEmbeddings)(
            tables,
            ["word_embeddings", "position_embeddings", "token_type_embeddings"],
            ["position_embeddings"],
        ),
        "encoder": model(
            f"{family}Encoder", {"layer": Repeat(model(f"{family}Layer", block), layers)}
        ),
    }
    if pooled:
        modules["pooler"] = model(
            f"{family}Pooler",
            {"dense": pc.Linear(width, width), "activation": pc.Tanh()},
            [("first_token()", FirstToken()), "dense", "activation"],
        )
    return model(f"{family}Model", modules)


def _lm_head(
    kind: str,
    owner: str,
    transform: dict[str, Layer],
    steps: list[Step],
    width: int,
    vocab: int,
    words: str | None,
) -> Net:
    """The masked-LM head: its own ``bias``, a transform, a decoder tied to ``words`` if given.

    The decoder's bias is the head's ``bias`` (``_tied_weights_keys``), so it counts once.
    """
    decoder: Layer = pc.Linear(width, vocab)
    if words is not None:
        decoder = pc.Tied(decoder, {"weight": words, "bias": f"{owner}.bias"})
    modules = {"bias": pc.Parameter(vocab), **transform, "decoder": decoder}
    return model(kind, modules, [*steps, "decoder"])


def _bert_heads(config: HFConfig, family: str, known: tuple[str, ...]) -> Layer:
    suffix = head(config, family, known)
    name = family + suffix
    pooled = suffix in ({"Model", "ForMultipleChoice"} if family == "Roberta" else _POOLED)
    base_name = family.lower()
    body = _bert_like(config, family, pooled)
    width = config.size("hidden_size")
    eps = config.option("layer_norm_eps", 1e-12)
    vocab = config.size("vocab_size")
    tie = config.option("tie_word_embeddings", True)
    if suffix == "Model":
        return model(name, dict(body.modules))
    words = f"{base_name}.embeddings.word_embeddings.weight" if tie else None
    modules: dict[str, Layer] = {base_name: body}
    if suffix in {"ForMaskedLM", "LMHeadModel", "ForCausalLM", "ForPreTraining"}:
        if family == "Roberta":
            transform: dict[str, Layer] = {
                "dense": pc.Linear(width, width),
                "layer_norm": pc.LayerNorm(width, eps=eps),
            }
            steps: list[Step] = ["dense", ("gelu()", pc.GELU()), "layer_norm"]
            lm_head = _lm_head("RobertaLMHead", "lm_head", transform, steps, width, vocab, words)
            modules["lm_head"] = lm_head
        else:
            transform = {
                "transform": model(
                    "BertPredictionHeadTransform",
                    {"dense": pc.Linear(width, width), "LayerNorm": pc.LayerNorm(width, eps=eps)},
                    ["dense", ("gelu()", pc.GELU()), "LayerNorm"],
                )
            }
            predictions = _lm_head(
                "BertLMPredictionHead",
                "cls.predictions",
                transform,
                ["transform"],
                width,
                vocab,
                words,
            )
            cls: dict[str, Layer] = {"predictions": predictions}
            if suffix == "ForPreTraining":
                cls["seq_relationship"] = pc.Linear(width, 2)
            kind = "BertPreTrainingHeads" if suffix == "ForPreTraining" else "BertOnlyMLMHead"
            modules["cls"] = model(kind, cls, ["predictions"])
        # get_output_embeddings(): the prediction head's decoder
        output = "lm_head.decoder" if family == "Roberta" else "cls.predictions.decoder"
        return model(name, modules, output=output)
    if suffix == "ForNextSentencePrediction":
        modules["cls"] = model("BertOnlyNSPHead", {"seq_relationship": pc.Linear(width, 2)})
        return model(name, modules)
    labels = 1 if suffix == "ForMultipleChoice" else num_labels(config)
    if suffix == "ForQuestionAnswering":
        modules["qa_outputs"] = pc.Linear(width, labels)
    elif family == "Roberta" and suffix == "ForSequenceClassification":
        modules["classifier"] = model(
            "RobertaClassificationHead",
            {"dense": pc.Linear(width, width), "out_proj": pc.Linear(width, labels)},
            [("first_token()", FirstToken()), "dense", ("tanh()", pc.Tanh()), "out_proj"],
        )
    else:
        modules["dropout"] = pc.Dropout(0.1)
        modules["classifier"] = pc.Linear(width, labels)
    return model(name, modules)


def build_bert(config: HFConfig) -> Layer:
    """``BertModel`` (with its pooler) or the head ``architectures[0]`` names."""
    return _bert_heads(config, "Bert", _BERT_HEADS)


def build_roberta(config: HFConfig) -> Layer:
    """``RobertaModel`` or the head ``architectures[0]`` names."""
    return _bert_heads(config, "Roberta", _ROBERTA_HEADS)


def build_distilbert(config: HFConfig) -> Layer:
    """``DistilBertModel`` or the head ``architectures[0]`` names.

    ``sinusoidal_pos_embds`` freezes the position table (still a parameter).
    """
    suffix = head(config, "DistilBert", _DISTILBERT_HEADS)
    vocab = config.size("vocab_size")
    width = config.size("dim")
    heads = config.size("n_heads")
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `dim` must be divisible by `n_heads`. "
            f"Received: dim={width}, n_heads={heads}."
        )
    layers = config.size("n_layers")
    inner = config.size("hidden_dim")
    positions = config.size("max_position_embeddings", 512)
    pad = config.size("pad_token_id", 0, minimum=0)
    sinusoidal = config.option("sinusoidal_pos_embds", False)
    tie = config.option("tie_word_embeddings", True)
    config.ignore("activation", "dropout", "attention_dropout", "qa_dropout", "seq_classif_dropout")
    config.ignore("tie_weights_")  # a stale key of old DistilBERT configs; transformers reads none
    attention = typed("DistilBertSelfAttention", SelfAttention)(
        {name: pc.Linear(width, width) for name in ("q_lin", "k_lin", "v_lin", "out_lin")},
        ["q_lin", "k_lin", "v_lin"],
        ["out_lin"],
        num_heads=heads,
        head_dim=width // heads,
    )
    block = model(
        "TransformerBlock",
        {
            "attention": attention,
            "sa_layer_norm": pc.LayerNorm(width, eps=1e-12),
            "ffn": model(
                "FFN",
                {"lin1": pc.Linear(width, inner), "lin2": pc.Linear(inner, width)},
                ["lin1", ("gelu()", pc.GELU()), "lin2"],
            ),
            "output_layer_norm": pc.LayerNorm(width, eps=1e-12),
        },
    )
    position: Layer = pc.Embedding(positions, width)
    body = model(
        "DistilBertModel",
        {
            "embeddings": typed("Embeddings", SummedEmbeddings)(
                {
                    "word_embeddings": pc.Embedding(vocab, width, padding_idx=pad),
                    "position_embeddings": position.freeze() if sinusoidal else position,
                    "LayerNorm": pc.LayerNorm(width, eps=1e-12),
                },
                ["word_embeddings", "position_embeddings"],
                ["position_embeddings"],
            ),
            "transformer": model("Transformer", {"layer": Repeat(block, layers)}),
        },
    )
    if suffix == "Model":
        return body
    name = "DistilBert" + suffix
    modules: dict[str, Layer] = {"distilbert": body}
    if suffix == "ForMaskedLM":
        projector: Layer = pc.Linear(width, vocab)
        if tie:
            projector = projector.tied_to("distilbert.embeddings.word_embeddings.weight")
        modules |= {
            "vocab_transform": pc.Linear(width, width),
            "vocab_layer_norm": pc.LayerNorm(width, eps=1e-12),
            "vocab_projector": projector,
        }
        return model(
            name,
            modules,
            [
                "distilbert",
                "vocab_transform",
                ("gelu()", pc.GELU()),
                "vocab_layer_norm",
                "vocab_projector",
            ],
            output="vocab_projector",
        )
    if suffix == "ForTokenClassification":
        modules["classifier"] = pc.Linear(width, num_labels(config))
    elif suffix == "ForQuestionAnswering":
        labels = num_labels(config)
        if labels != 2:
            raise ConfigError(
                f"from_hf_config: {config.where}: DistilBertForQuestionAnswering needs 2 labels "
                f"(start and end), as transformers requires. Received: num_labels={labels}."
            )
        modules["qa_outputs"] = pc.Linear(width, labels)
    else:
        labels = 1 if suffix == "ForMultipleChoice" else num_labels(config)
        modules["pre_classifier"] = pc.Linear(width, width)
        modules["classifier"] = pc.Linear(width, labels)
        return model(
            name,
            modules,
            ["distilbert", ("first_token()", FirstToken()), "pre_classifier", "classifier"],
        )
    return model(name, modules)
