"""The Optimizer base: parameter groups, per-parameter state, and a
state_dict that lets training resume exactly."""
from __future__ import annotations

import math

import autograd as ag
from autograd import backend


class Optimizer:
    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        if isinstance(params, ag.Tensor) or not hasattr(params, "__iter__"):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors or "
                            f"of parameter-group dicts (e.g. model.parameters()), got "
                            f"{type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.check_setting("lr", self.defaults["lr"])
        for i, g in enumerate(groups):
            if isinstance(g, dict) and "lr" in g:
                self.check_setting(f"lr of group {i}", g["lr"])
        self.param_groups = []
        for g in groups:
            group = dict(self.defaults)
            group.update(g)
            group["params"] = list(group["params"])
            for i, p in enumerate(group["params"]):
                if not isinstance(p, ag.Tensor) or not p.requires_grad:
                    what = (f"a tensor of shape {p.shape} that does not require grad"
                            if isinstance(p, ag.Tensor) else f"a {type(p).__name__}")
                    raise ValueError(f"{type(self).__name__}: can only optimise tensors that "
                                     f"require grad; parameter {i} of group "
                                     f"{len(self.param_groups)} is {what}")
            group.setdefault("initial_lr", group["lr"])
            self.param_groups.append(group)
        self.state = {}   # id(param) -> {name: array or number}

    def check_setting(self, name, value):
        """Refuse a negative, NaN or infinite ``value`` (as PyTorch refuses a
        negative learning rate): the error names the optimizer and ``name``."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or value < 0:
            raise ValueError(f"{type(self).__name__}: {name} must be a finite number >= 0, "
                             f"got {value}")

    def _params(self):
        for group in self.param_groups:
            for p in group["params"]:
                yield group, p

    def zero_grad(self, set_to_none=True):
        for _, p in self._params():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = ag.zeros_like(p.grad)

    @ag.no_grad()
    def step(self):
        """One update of every parameter that has a gradient, on its device."""
        for group in self.param_groups:
            todo = [(p, p.grad.data, self.state.setdefault(id(p), {}))
                    for p in group["params"] if p.grad is not None]
            self._update_group(todo, group)
            for p, _, _ in todo:
                p._version += 1   # an in-place change of a tensor backward may have saved

    def _update_group(self, todo, group):
        """Update each (parameter, gradient array, state) of one group: by
        default one at a time with ``_update``."""
        for p, grad, state in todo:
            self._update(p, grad, state, group)

    def _update(self, p, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} has no _update(p, grad, state, group)")

    # -- resuming -------------------------------------------------------------
    def state_dict(self) -> dict:
        """{"state": {index: {name: value}}, "param_groups": [{..., "params": [index]}]},
        indices counting parameters across groups in order, as PyTorch."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[k]: {n: (ag.Tensor._make(v) if backend.is_array(v) else v)
                            for n, v in s.items()}
                 for k, s in self.state.items() if k in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved parameter "
                             "groups do not match this optimizer's (different model?): saved "
                             f"{[len(g['params']) for g in groups]} parameters per group, this "
                             f"optimizer has {[len(g['params']) for g in self.param_groups]}")
        by_index = {}
        for g, own in zip(groups, self.param_groups):
            for i, p in zip(g["params"], own["params"]):
                by_index[int(i)] = p
        state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            entry = {}
            for n, v in s.items():
                if isinstance(v, ag.Tensor) or backend.is_array(v):
                    v = v.data if isinstance(v, ag.Tensor) else v
                    if tuple(v.shape) != p.shape:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: saved state "
                                         f"'{n}' of parameter {i} has shape {tuple(v.shape)}, "
                                         f"the parameter has shape {p.shape}")
                    v = backend.asarray(v, dtype=p.dtype, device=p.device, copy=True)
                elif hasattr(v, "item"):
                    v = v.item()
                entry[n] = v
            state[id(p)] = entry
        for g, own in zip(groups, self.param_groups):     # all checked: now apply
            own.update({k: v for k, v in g.items() if k != "params"})
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in g.items() if k != "params")
            lines.append(f"  group {i}: {len(g['params'])} tensors, {settings}")
        return "\n".join(lines) + "\n)"
