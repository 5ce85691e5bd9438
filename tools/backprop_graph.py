"""Draw the forward and backward graph of any computation, with Graphviz.

In a notebook (a ``graphviz.Digraph`` shows itself inline):

    from tools.backprop_graph import draw
    draw(loss, model=model)                    # the forward graph, boxed by module
    draw(loss, model=model, backward=True)     # plus one backward node per op
    draw(loss, model=model, depth=2)           # modules 2 levels down as single nodes

From the shell (the format follows the extension: .dot .svg .png .pdf, and
.html: the interactive explorer, stepping through backward in the browser):

    python -m tools.backprop_graph --scene attention --backward --order -o attention.svg
    python -m tools.backprop_graph --scene attention --backward -o attention.html
    python -m tools.backprop_graph --scene transformer --depth 2 -o model.svg
    python -m tools.backprop_graph --scene attention --higher-order -o grad_graph.svg
    python -m tools.backprop_graph --list

Draw before ``backward()`` or backpropagate with ``retain_graph=True``: a
plain backward frees the graph it walked.
"""
from __future__ import annotations

import argparse
import functools
import pathlib
import shutil
import sys

import autograd as ag
from nn import atomic
from transformer.cli import run_command, writing

from . import backward_order, explorer_page, scenes
from .dot_writer import INSTALL_HINT, graphviz_module, to_digraph
from .explorer_page import explorer_html
from .graph_backward import add_backward
from .graph_collapse import collapse
from .graph_walk import retain_all_grads, walk
from .notebook_explorer import explorer_digraph_class

FORMATS = (".dot", ".gv", ".svg", ".png", ".pdf", ".html")


def build_graph(outputs, model=None, backward=False, depth=None, show_order=False,
                order=None, base=None, audit=None):
    """The ``tools.graph_data.Graph`` that ``draw`` draws (same arguments)."""
    if order is not None:
        show_order = True
    if show_order and order is None:
        order = backward_order.planned(outputs)
    graph = walk(outputs, model=model, order=order if show_order else None, base=base,
                 audit=audit)
    if backward or show_order:
        graph = add_backward(graph)
    if depth is not None:
        graph = collapse(graph, depth)
    return graph


def draw(outputs, model=None, backward=False, depth=None, show_order=False, order=None,
         base=None, audit=None, title=None, rankdir="TB"):
    """A ``graphviz.Digraph`` of the graph that produced ``outputs``.

    model: the ``nn.Module`` that ran: parameters get their dotted paths, and
        clusters and collapsed modules their class names and sizes.
    backward: add the backward graph: one ``<Op>Backward`` node per op
        (dashed link to it) and red gradient edges from the outputs down to
        every leaf that requires grad. Gradient norms appear wherever a
        ``.grad`` exists; NaN or Inf turns a tensor red.
    depth: draw each module ``depth`` clusters deep (1 = top-level modules)
        as one node with its parameter count and input/output shapes.
    show_order: number the backward nodes in the order backward visits them:
        ``order`` as recorded by ``tools.backward_order.record()``, or the
        engine's own schedule when ``order`` is not given. Implies backward.
    base: the outputs of the forward pass when ``outputs`` are gradients
        made with ``create_graph=True``: ops the backward pass recorded are
        shaded apart from the forward ones.
    audit: a report of ``autograd.check_graph(outputs)``: each op is coloured
        green (its gradient matches finite differences) or red (it does not).

    The Digraph also carries the interactive explorer of the same graph
    (``tools.explorer_page``), made when first asked for: notebooks show it
    inline (``_repr_html_``), ``.explorer_html()`` is the page, and
    ``save(digraph, "x.html")`` writes it; ``depth`` is then the module
    level collapsed when the page opens.
    """
    graph = build_graph(outputs, model, backward, depth, show_order, order, base, audit)
    digraph = to_digraph(graph, title=title, rankdir=rankdir,
                         digraph_class=explorer_digraph_class())
    digraph.page_maker = functools.partial(explorer_html, outputs, model=model, order=order,
                                           base=base, audit=audit, title=title, depth=depth,
                                           rankdir=rankdir)
    return digraph


def scene_digraph(name, backward=False, depth=None, show_order=False, higher_order=False):
    """The Digraph of a built-in scene (``tools.scenes``), backpropagated
    first when ``backward`` so that gradient norms show."""
    scene = scenes.build(name)
    outputs, base, title = [scene.loss], None, scene.title
    if higher_order:
        grads = ag.grad(scene.loss, [t for _, t in scene.wrt], create_graph=True)
        for (pname, _), g in zip(scene.wrt, grads):
            g.name = f"dloss/d{pname}"
        outputs, base = list(grads), [scene.loss]
        title = f"{title}: the gradient graph (create_graph=True) is an ordinary graph"
        if backward or show_order:
            penalty = sum((g * g).sum() for g in grads)     # backpropagate through the gradient
            penalty.name = "sum of squared gradients"
            outputs = [penalty]
    order = None
    if backward or show_order:
        retain_all_grads(outputs)
        with backward_order.record() as order:
            outputs[0].backward(retain_graph=True)
    return draw(outputs, model=scene.model, backward=backward, depth=depth,
                show_order=show_order, order=order if show_order else None, base=base,
                title=title)


def save(digraph, path) -> str:
    """Write ``digraph`` to ``path`` in the format of its extension; returns
    what was written. Without Graphviz's ``dot`` the DOT text is written
    next to it and the message says how to install Graphviz."""
    path = pathlib.Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot write {path}: the extension must be one of "
                         f"{', '.join(FORMATS)}")
    if ext == ".html":
        if not hasattr(digraph, "explorer_html"):
            raise TypeError(f"cannot write {path}: an explorer page needs a Digraph made by "
                            "tools.backprop_graph.draw()")
        return explorer_page.write(digraph.explorer_html(), path)
    if ext in (".dot", ".gv"):
        atomic.write_text(path, digraph.source)
        return f"wrote {path}"
    graphviz = graphviz_module()
    if shutil.which("dot") is not None:
        try:
            atomic.write_bytes(path, digraph.pipe(format=ext[1:]))
            return f"wrote {path}"
        except graphviz.ExecutableNotFound:
            pass
    dot_path = path.with_suffix(".dot")
    atomic.write_text(dot_path, digraph.source)
    return f"wrote {dot_path} (no {path.suffix} without Graphviz's `dot`: {INSTALL_HINT})"


def main(argv=None):
    return run_command(_command, parse_args(argv))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tools.backprop_graph",
        description="Draw the forward and backward graph of a built-in scene.")
    parser.add_argument("--scene", default="attention", help="one of: " + ", ".join(scenes.SCENES))
    parser.add_argument("-o", "--output", help="file to write (.dot .svg .png .pdf, or .html: "
                        "the interactive explorer, which implies --backward --order and "
                        "opens collapsed at --depth); default: SCENE.svg")
    parser.add_argument("--backward", action="store_true",
                        help="backpropagate and draw the backward graph with gradient norms")
    parser.add_argument("--depth", type=int, help="collapse modules this many levels down "
                        "into single nodes (1 = top-level modules)")
    parser.add_argument("--order", action="store_true",
                        help="number the backward nodes in the order backward visited them")
    parser.add_argument("--higher-order", action="store_true",
                        help="draw the graph of a gradient taken with create_graph=True")
    parser.add_argument("--list", action="store_true", help="list the scenes and exit")
    args = parser.parse_args(argv)
    if args.scene not in scenes.SCENES:
        parser.error(f"unknown scene {args.scene!r}; choose one of: {', '.join(scenes.SCENES)}")
    if args.depth is not None and args.depth < 1:
        parser.error("--depth must be >= 1")
    return args


def _command(args):
    """Draw the scene and write it. A mistake (an unknown extension, a path
    that cannot be written, the explorer without Graphviz's `dot`) is one
    line and exit code 2, as in every command (``transformer.cli``)."""
    if args.list:
        for name in scenes.SCENES:
            print(name)
        return 0
    output = args.output or f"{args.scene}.svg"
    page = pathlib.Path(output).suffix.lower() == ".html"
    digraph = scene_digraph(args.scene, backward=args.backward or page, depth=args.depth,
                            show_order=args.order or page, higher_order=args.higher_order)
    with writing(output):
        print(save(digraph, output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
