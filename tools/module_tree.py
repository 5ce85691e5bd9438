"""Which module clusters a graph has and how they nest.

A cluster is a module that made a node, directly or through a sub-module:
``encoder`` > ``encoder.layers.0`` > ``encoder.layers.0.self_attn``. Pure
containers (``nn.ModuleList``: no forward of their own, like
``encoder.layers``) get no box; their children nest in the container's
parent. Without a model, a path with no nodes of its own whose children are
all numbered is taken for such a container.
"""
from __future__ import annotations


class ClusterTree:
    def __init__(self, graph):
        direct = dict.fromkeys(n.module for n in graph.nodes if n.module)  # first appearance
        has_nodes = set(direct)
        paths = {}                                      # each path after its ancestors
        for p in direct:
            parts = p.split(".")
            for i in range(1, len(parts) + 1):
                paths.setdefault(".".join(parts[:i]), None)
        children = {}
        for p in paths:
            children.setdefault(p.rpartition(".")[0], []).append(p.rpartition(".")[2])

        def transparent(p):
            info = graph.modules.get(p)
            if info is not None:
                return info.container
            kids = children.get(p, [])
            return p not in has_nodes and bool(kids) and all(k.isdigit() for k in kids)

        self.paths = [p for p in paths if not transparent(p)]   # the clusters, parents first
        kept = set(self.paths)
        self.parent = {}
        self._level = {"": 0}
        for p in self.paths:
            self.parent[p] = self._nearest(p.rpartition(".")[0], kept)
            self._level[p] = self._level[self.parent[p]] + 1
        self._kept = kept
        self._info = graph.modules

    @staticmethod
    def _nearest(path, kept):
        while path and path not in kept:
            path = path.rpartition(".")[0]
        return path

    def cluster_of(self, path: str) -> str:
        """The cluster a node of module ``path`` is drawn in ("" = top level)."""
        return self._nearest(path, self._kept)

    def level(self, cluster: str) -> int:
        """1 for a top-level cluster, 2 for one inside it, ...; 0 for the top level."""
        return self._level[cluster]

    def ancestor_at(self, cluster: str, level: int) -> str:
        """The enclosing cluster at ``level`` (the cluster itself if at it)."""
        while self._level[cluster] > level:
            cluster = self.parent[cluster]
        return cluster

    def class_name(self, path: str):
        info = self._info.get(path)
        return info.cls if info is not None else None
