"""Tools that read what autograd recorded and draw it with Graphviz: forward
and backprop graphs (``python -m tools.backprop_graph``), the interactive
explorer that steps through backward in the browser (``-o NAME.html``,
``tools.explorer_page``) and anomaly pictures (``import tools.anomaly_picture``).
Nothing in autograd, nn or transformer imports tools. (The benchmarks live in
``benchmarks/``, outside the library.)"""
import nn  # noqa: F401  (first: another package named autograd is a clear error)
