"""What ``draw()`` returns: a ``graphviz.Digraph`` (the static picture, as
ever: ``.source``, ``.render``, its SVG in notebooks) that also carries the
interactive explorer of the same graph. Notebooks show the explorer inline
through ``_repr_html_``, in a sandboxed iframe, beside the SVG that the
Digraph's own ``_repr_mimebundle_`` offers; ``explorer_html()`` is the page.
"""
from __future__ import annotations

import functools
import html
import warnings

from .dot_writer import graphviz_module

IFRAME = ('<iframe title="backprop explorer" sandbox="allow-scripts" srcdoc="{srcdoc}" '
          'style="width: 100%; height: 720px; border: 1px solid #ddd"></iframe>')


@functools.cache
def explorer_digraph_class():
    """The ``graphviz.Digraph`` subclass (made once: graphviz is optional)."""
    graphviz = graphviz_module()

    class ExplorerDigraph(graphviz.Digraph):
        """A Digraph whose ``page_maker()`` makes the explorer page, once."""
        page_maker = None
        _page = None

        def explorer_html(self) -> str:
            if self._page is None:
                if self.page_maker is None:
                    raise RuntimeError("this graph has no explorer page: make it with "
                                       "tools.backprop_graph.draw(...)")
                self._page = self.page_maker()
            return self._page

        def _repr_html_(self):
            try:
                page = self.explorer_html()
            except RuntimeError as e:       # no `dot`, or the graph was freed by backward()
                warnings.warn(f"backprop explorer not shown: {e}", stacklevel=2)
                return None
            return IFRAME.format(srcdoc=html.escape(page, quote=True))

    return ExplorerDigraph
