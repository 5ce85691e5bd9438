"""Tools that read what autograd recorded: forward and backprop graphs drawn
with Graphviz (``python -m tools.backprop_graph``), anomaly pictures
(``import tools.anomaly_picture``), and benchmarks (``python -m tools.bench``).
Nothing in autograd, nn or transformer imports tools, and importing this
package loads nothing (the benchmark's PyTorch worker relies on that)."""
