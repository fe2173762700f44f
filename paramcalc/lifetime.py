"""What running a layer allocates and what autograd keeps of it: the live-set contract.

A leaf layer declares, through :meth:`paramcalc.Layer.keeps`, a
:class:`Keeps`: whether its output is a new tensor or the input's storage
(an in-place op, a view), which of its input and output the backward
formula reads (torch's ``tools/autograd/derivatives.yaml``), the extra
tensors it saves (max pooling's int64 indices, dropout's mask, batch norm's
statistics) and, under autocast, which of torch's autocast lists its op is
on. :mod:`paramcalc.liveset` walks a network with these declarations.

>>> from paramcalc import MaxPool2d, ReLU
>>> keeps = ReLU(inplace=True).keeps((8, 4, 4), (8, 4, 4))
>>> keeps.saves_input, keeps.saves_output, keeps.new_output
(False, True, False)
>>> MaxPool2d(2).keeps((8, 4, 4), (8, 2, 2)).saved   # the argmax of each output, int64
((32, 'int64'),)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOTHING", "SAVES_INPUT", "VIEW", "Keeps"]


@dataclass(frozen=True)
class Keeps:
    """One forward run of a leaf layer, per sample (sizes in elements).

    - ``saves_input`` / ``saves_output``: autograd keeps the input / the output
      for the backward pass (a layer with parameters keeps its input only
      when its weights are trained: their gradient reads it);
    - ``new_output``: False when the output shares the input's storage
      (``inplace=True``, ``view``, ``flatten``, an identity);
    - ``saved``: further tensors kept for backward, ``(elements per sample, dtype)``
      (``"like"``: the compute dtype); ``per_batch``: those of a fixed size
      whatever the batch (batch norm's mean and inverse deviation, fp32);
    - ``autocast``: ``"low"`` (convolutions, matmuls: run in the 16-bit dtype),
      ``"fp32"`` (norms, softmax, losses: run in fp32) or ``"keep"`` (the input's);
    - ``clone_input``: an in-place op whose formula reads its original input:
      autograd saves a copy of it (``original_self``);
    - ``eval_view``: in evaluation mode the layer returns its input (dropout);
    - ``scratch``: elements per sample alive only while the op runs, in the
      compute dtype (multi-head attention's packed projection before its copy).
    """

    saves_input: bool = True
    saves_output: bool = False
    new_output: bool = True
    saved: tuple[tuple[int, str], ...] = ()
    per_batch: tuple[tuple[int, str], ...] = ()
    autocast: str = "keep"
    clone_input: bool = False
    eval_view: bool = False
    scratch: int = 0


SAVES_INPUT = Keeps()
"""The default: a new output, the input kept for backward (most formulas read ``self``)."""

NOTHING = Keeps(saves_input=False)
"""A new output whose backward reads no tensor (add, mean, a constant scale)."""

VIEW = Keeps(saves_input=False, new_output=False)
"""The input's storage, nothing kept: a view, a flatten, an identity."""
