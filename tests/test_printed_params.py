"""print(model) of ParameterList, ParameterDict and ModuleDict, read back.

The text and the expected names are torch 2.13's own: ``print(m)`` and
``m.named_parameters()`` of the module built below with ``torch.nn``::

    m = nn.Module()
    m.scales = nn.ParameterList([nn.Parameter(torch.ones(4)),
                                 nn.Parameter(torch.ones(2, 3)),
                                 nn.Parameter(torch.tensor(1.0))])
    m.one = nn.ParameterList([nn.Parameter(torch.ones(5))])
    m.extra = nn.ParameterDict({"gamma": nn.Parameter(torch.ones(16)),
                                "beta": nn.Parameter(torch.ones(2, 2))})
    m.heads = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.LayerNorm(3)})
    m.half = nn.ParameterList([nn.Parameter(torch.ones(3, dtype=torch.float16))])
"""

from __future__ import annotations

import paramcalc as pc
from paramcalc.printed import read_printed

PRINTED = """Module(
  (scales): ParameterList(
      (0): Parameter containing: [torch.float32 of size 4]
      (1): Parameter containing: [torch.float32 of size 2x3]
      (2): Parameter containing: [torch.float32 of size ]
  )
  (one): ParameterList(  (0): Parameter containing: [torch.float32 of size 5])
  (extra): ParameterDict(
      (beta): Parameter containing: [torch.FloatTensor of size 2x2]
      (gamma): Parameter containing: [torch.FloatTensor of size 16]
  )
  (heads): ModuleDict(
    (b): Linear(in_features=2, out_features=3, bias=True)
    (a): LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)
  )
  (half): ParameterList(  (0): Parameter containing: [torch.float16 of size 3])
)"""

TORCH_PARAMETERS = [
    ("scales.0", (4,)), ("scales.1", (2, 3)), ("scales.2", ()), ("one.0", (5,)),
    ("extra.beta", (2, 2)), ("extra.gamma", (16,)), ("heads.b.weight", (3, 2)),
    ("heads.b.bias", (3,)), ("heads.a.weight", (3,)), ("heads.a.bias", (3,)), ("half.0", (3,)),
]  # fmt: skip


def test_parameter_containers_read_back() -> None:
    """Names, shapes and order equal torch's named_parameters() for the printed module."""
    network, _ = read_printed(PRINTED)
    assert list(network.named_parameters()) == TORCH_PARAMETERS
    assert network.params() == 4 + 6 + 1 + 5 + 4 + 16 + 6 + 3 + 3 + 3 + 3


def test_containers_keep_their_types() -> None:
    """ParameterList, ParameterDict and ModuleDict come back as themselves."""
    network, _ = read_printed(PRINTED)
    children = dict(network.children())
    assert isinstance(children["scales"], pc.ParameterList)
    assert isinstance(children["one"], pc.ParameterList)
    assert isinstance(children["extra"], pc.ParameterDict)
    assert isinstance(children["heads"], pc.ModuleDict)
    assert children["heads"]["a"] == pc.LayerNorm(3)


def test_norm_layers_read_back() -> None:
    """torch 2.13's printed norms and transposed convs build the same layers."""
    text = "\n".join(
        [
            "Sequential(",
            "  (0): ConvTranspose2d(8, 4, kernel_size=(2, 2), stride=(2, 2))",
            "  (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
            "track_running_stats=True)",
            "  (2): GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)",
            "  (3): InstanceNorm2d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, "
            "track_running_stats=False)",
            "  (4): LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)",
            ")",
        ]
    )
    network, warnings = read_printed(text)
    assert warnings == ()
    expected = pc.Sequential(
        pc.ConvTranspose2d(8, 4, 2, stride=2),
        pc.BatchNorm2d(4),
        pc.GroupNorm(2, 4),
        pc.InstanceNorm2d(4),
        pc.LocalResponseNorm(3),
    )
    assert list(network.named_parameters()) == list(expected.named_parameters())
    assert list(network.named_buffers()) == list(expected.named_buffers())
    assert network.output_shape((8, 5, 5)) == expected.output_shape((8, 5, 5)) == (4, 10, 10)
