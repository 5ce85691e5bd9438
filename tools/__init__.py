"""Tools that read what autograd recorded: forward and backprop graphs drawn
with Graphviz (``python -m tools.backprop_graph``), and benchmarks
(``python -m tools.bench``). Nothing in autograd, nn or transformer imports
tools; importing it makes anomaly-mode errors come with a picture of the
failing op's neighbourhood (``tools.anomaly_picture``)."""
from . import anomaly_picture

anomaly_picture.install()
