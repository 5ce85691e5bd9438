"""Tools that read what autograd recorded: forward and backprop graphs drawn
with Graphviz (``python -m tools.backprop_graph``), and benchmarks
(``python -m tools.bench``). Nothing in autograd, nn or transformer imports
tools."""
