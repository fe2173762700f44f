"""The head ``architectures[0]`` names, put on a base model as ``transformers`` does.

A family lists the head classes ``transformers`` defines for it (most use
the generic ones of ``modeling_layers.py``: ``score`` without a bias for
sequence classification, ``score`` with one for tokens, ``qa_outputs`` for
spans). :func:`attach` builds the one the config names; a class the family
does not define is refused with the list of those it does, never replaced.

>>> from paramcalc import Embedding
>>> from paramcalc.hf.config import HFConfig
>>> base = Base(Embedding(10, 4), "model", hidden=4, vocab=10, table="weight")
>>> heads = generic("Toy", ("Model", "ForCausalLM", "ForSequenceClassification"))
>>> net = attach(HFConfig({"architectures": ["ToyForSequenceClassification"]}), heads, base,
...              tie_default=False)
>>> type(net).__name__, [name for name, _ in net.named_parameters()]
('ToyForSequenceClassification', ['model.weight', 'score.weight'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import LastToken, named
from paramcalc.hf.config import HFConfig
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import FirstToken, LogitSoftcap, Net, Step

__all__ = ["GENERIC", "Base", "Head", "attach", "generic"]

KINDS = ("model", "causal", "sequence", "token", "qa")


@dataclass(frozen=True)
class Head:
    """A head class: its ``kind`` (one of :data:`KINDS`), module name and bias.

    ``pool`` is how a sequence classifier picks its token: ``"last"``
    (decoders: the last non-padding token) or ``"first"``. ``prefix``
    overrides the attribute holding the base model (Llama's question
    answering keeps ``transformer``, "for BC"). ``softcap`` is a causal
    head's ``final_logit_softcapping`` (Gemma 2/3), applied after ``lm_head``.
    """

    kind: str
    module: str = ""
    bias: bool = False
    dropout: bool = False
    pool: str = "last"
    prefix: str = ""
    softcap: float | None = None


GENERIC: Mapping[str, Head] = {
    "Model": Head("model"),
    "ForCausalLM": Head("causal", "lm_head"),
    "ForSequenceClassification": Head("sequence", "score"),
    "ForTokenClassification": Head("token", "score", bias=True, dropout=True),
    "ForQuestionAnswering": Head("qa", "qa_outputs", bias=True),
}
"""The heads of ``modeling_layers.py`` (``GenericFor…``), by class-name suffix."""


def generic(family: str, suffixes: Iterable[str], *, qa_prefix: str = "") -> dict[str, Head]:
    """``{family + suffix: GENERIC[suffix]}``: ``generic("Llama", ("Model", "ForCausalLM"))``.

    ``qa_prefix`` is the question-answering class's ``base_model_prefix`` when it is not ``model``.
    """
    heads = {family + suffix: GENERIC[suffix] for suffix in suffixes}
    if qa_prefix and family + "ForQuestionAnswering" in heads:
        heads[family + "ForQuestionAnswering"] = Head(
            "qa", "qa_outputs", bias=True, prefix=qa_prefix
        )
    return heads


@dataclass(frozen=True)
class Base:
    """A base model, the attribute its heads hold it in, and its token table's path."""

    net: Layer
    prefix: str
    hidden: int
    vocab: int
    table: str


def num_labels(config: HFConfig) -> int:
    """``len(id2label)``, else ``num_labels``, else 2 (``PreTrainedConfig``'s default)."""
    labels = config.maybe("id2label")
    config.ignore("label2id")
    if labels is not None:
        if not isinstance(labels, Mapping) or not labels:
            raise ConfigError(
                f"from_hf_config: `id2label` in the {config.where} must be a non-empty object. "
                f"Received: {shown(labels)}."
            )
        count = len(labels)
        given = config.maybe("num_labels")
        if given is not None and given != count:
            raise ConfigError(
                f"from_hf_config: `num_labels`={shown(given)} in the {config.where} disagrees with "
                f"`id2label`, which has {count} labels."
            )
        return count
    return config.size("num_labels", 2)


def attach(
    config: HFConfig,
    heads: Mapping[str, Head],
    base: Base,
    *,
    tie_default: bool,
    default: str | None = None,
) -> Layer:
    """The network ``architectures[0]`` names (``default``, the causal LM, when there is none).

    ``tie_default`` is the family's ``tie_word_embeddings`` default.
    """
    tie = config.option("tie_word_embeddings", tie_default)
    wanted = config.architecture
    if wanted is None:
        wanted = default or next(name for name, head in heads.items() if head.kind == "causal")
    head = heads.get(wanted)
    if head is None:
        raise ConfigError(
            f"from_hf_config: `architectures[0]`={shown(wanted)} in the {config.where} is not a "
            f"class paramcalc builds; known: {', '.join(sorted(heads))}."
        )
    if head.kind in ("sequence", "token"):
        labels = num_labels(config)
    else:
        config.ignore("id2label", "label2id", "num_labels")
        labels = 2
    if head.kind == "model":
        return base.net
    prefix = head.prefix or base.prefix
    modules: dict[str, Layer] = {prefix: base.net}
    steps: list[Step] = [prefix]
    if head.kind == "causal":
        layer: Layer = pc.Linear(base.hidden, base.vocab, bias=head.bias)
        if tie:
            layer = layer.tied_to(f"{prefix}.{base.table}")
        modules[head.module] = layer
        steps.append(head.module)
        if head.softcap is not None:
            steps.append(("softcap()", LogitSoftcap(head.softcap)))
    elif head.kind == "sequence":
        modules[head.module] = pc.Linear(base.hidden, labels, bias=head.bias)
        pool = LastToken() if head.pool == "last" else FirstToken()
        steps += [head.module, (f"{head.pool}_token()", pool)]
    elif head.kind == "token":
        if head.dropout:
            modules["dropout"] = pc.Dropout(0.1)
            steps.append("dropout")
        # GenericForTokenClassification reads `token_classification_bias`; the others do not
        bias = (
            config.option("token_classification_bias", True)
            if head.module == "score"
            else head.bias
        )
        modules[head.module] = pc.Linear(base.hidden, labels, bias=bias)
        steps.append(head.module)
    else:
        modules[head.module] = pc.Linear(base.hidden, 2, bias=head.bias)
        steps.append(head.module)
    return named(wanted, Net)(modules, steps)
