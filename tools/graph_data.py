"""The plain data a graph walk returns: nodes, edges, and the modules that
made them. Nothing here knows about Graphviz; ``dot_writer`` draws it.

Node kinds:
  "tensor"    a Tensor: shape, dtype, name, parameter path, flags, grad norm
  "op"        a recorded op (a ``Function``): name, settings, module path
  "backward"  the gradient of one op (``MatmulBackward``), drawn from the same
              recorded op; ``op`` is the id of that forward op
  "module"    a collapsed module (``depth=``): parameter count, in/out shapes

Edge kinds:
  "data"  tensor -> op (``slot`` = input position), op -> tensor (output position)
  "grad"  gradient flow: output tensor -> backward node -> backward node ->
          leaf tensor (a parameter's ``.grad``)
  "link"  backward node -> the forward op it differentiates
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class Node:
    id: str
    kind: str                      # "tensor", "op", "backward" or "module"
    label: str                     # op name, tensor name, module path
    module: str = ""               # dotted path of the module that made it ("" = top level)
    # ops and backward nodes
    settings: dict = field(default_factory=dict)   # public settings, formatted as text
    op: str | None = None          # backward node: id of its forward op
    order: int | None = None       # backward node: step at which backward visited it (1-based)
    from_backward: bool = False    # op recorded by a backward pass (create_graph=True)
    audit: tuple | None = None     # op checked by autograd.check_graph: (status, worst rel. error)
    alarm: str | None = None       # op flagged by anomaly mode (drawn red), e.g. "NaN in output"
    # tensors
    shape: tuple | None = None
    dtype: str | None = None
    parameter: str | None = None   # dotted path of a Parameter (its first name if tied)
    aliases: tuple = ()            # other names of a tied Parameter
    is_parameter: bool = False
    is_leaf: bool = False
    is_input: bool = False         # a leaf fed in: needs grad, is named, or holds ids/masks
    is_constant: bool = False      # a leaf an op uses that needs no grad: a Python number,
                                   # an unnamed float table (positional encodings)
    is_output: bool = False        # one of the tensors the walk started from
    requires_grad: bool = False
    value: str | None = None       # a scalar constant's value
    grad_norm: float | None = None     # L2 norm of .grad, when there is one
    grad_nonfinite: bool = False       # .grad holds NaN or Inf
    # collapsed modules
    cls: str | None = None         # class name of the module
    n_params: int | None = None
    in_shapes: tuple = ()
    out_shapes: tuple = ()


@dataclass(slots=True)
class Edge:
    src: str
    dst: str
    kind: str = "data"             # "data", "grad" or "link"
    slot: int | None = None        # input (tensor -> op) or output (op -> tensor) position


@dataclass
class ModuleInfo:
    cls: str                       # class name
    n_params: int                  # parameters in it and below (tied ones once)
    container: bool = False        # a ModuleList-like holder with no forward of its own


@dataclass
class Graph:
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    outputs: list = field(default_factory=list)     # ids of the tensors walked from
    modules: dict = field(default_factory=dict)     # path -> ModuleInfo (with a model)
    order_of: dict = field(default_factory=dict)    # op id -> backward step (1-based)
    # node id -> the Tensor or Function it was drawn from (for the explorer's
    # values and formulas); never serialized
    sources: dict = field(default_factory=dict, repr=False, compare=False)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no node {node_id!r} in this graph")

    def of_kind(self, kind: str) -> list:
        return [n for n in self.nodes if n.kind == kind]

    def to_dict(self) -> dict:
        """JSON-ready: lists, dicts, strings and numbers only."""
        return {"nodes": [asdict(n) for n in self.nodes],
                "edges": [asdict(e) for e in self.edges],
                "outputs": list(self.outputs),
                "modules": {k: asdict(v) for k, v in self.modules.items()},
                "order_of": dict(self.order_of)}
