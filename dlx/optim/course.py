"""First-order optimizers in the form the course writes them (Goodfellow et al. 2016, ch. 8) where
torch.optim's form differs.

SGD (alg. 8.1), AdaGrad (8.4) and Adam (8.7) are torch.optim's own classes: their updates are the
book's equations term for term (see their YAML comments). The classes here cover the rest:

- ``Momentum`` (8.2) and ``Nesterov`` (8.3): the book keeps a velocity in parameter units,
  v <- a v - eps g, so a change of eps (a schedule) only scales new gradients; torch.optim.SGD keeps a
  buffer in gradient units, b <- a b + g, theta <- theta - eps b, so a new eps rescales the whole
  history, and its nesterov=True uses Sutskever's reparameterisation (gradient at theta, not at the
  interim point). ``form="torch"`` gives torch's update for comparison.
- ``RMSProp`` (8.5): the book puts delta inside the root, eps / sqrt(delta + r); torch.optim.RMSprop
  puts it outside, eps / (sqrt(r) + delta). ``form="torch"`` gives torch's placement.
- ``RMSPropNesterov`` (8.6): not in torch.optim.

The Nesterov variants need the gradient at the interim point theta + a v, so their ``step`` takes a
closure (zero the grads, forward, backward, return the loss) that they call after moving the
parameters there; the dlx loop passes one to every optimizer.
"""

from __future__ import annotations

import torch
from torch.optim import Optimizer

from dlx import checks

# The updates below run on whole lists of tensors with torch's multi-tensor kernels (torch._foreach_*, what
# torch.optim's own foreach implementations call): one kernel launch per list instead of one per tensor. They have
# no public name; read on torch 2.13 (the same since 1.13); tests/test_private_apis.py fails when one is gone or
# computes something else.
FORMS = ("course", "torch")


def _with_grads(group: dict, state: dict, key: str) -> tuple[list, list, list]:
    """Parameters of ``group`` that have a gradient, their gradients, and their ``key`` state buffers
    (created as zeros on first use)."""
    params, grads, bufs = [], [], []
    for p in group["params"]:
        if p.grad is None:
            continue
        st = state[p]
        if key not in st:
            st[key] = torch.zeros_like(p, memory_format=torch.preserve_format)
        params.append(p)
        grads.append(p.grad)
        bufs.append(st[key])
    return params, grads, bufs


def _velocities(opt: Optimizer, group: dict) -> tuple[list, list]:
    """All parameters of ``group`` with their velocity buffers (zeros at first), grad or not: the
    interim point moves every parameter."""
    params = list(group["params"])
    vs = []
    for p in params:
        st = opt.state[p]
        if "v" not in st:
            st["v"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        vs.append(st["v"])
    return params, vs


class Momentum(Optimizer):
    """SGD with momentum, Goodfellow et al. alg. 8.2.

    course: v <- a v - eps g;  theta <- theta + v            (v in parameter units)
    torch:  b <- a b + g;      theta <- theta - eps b        (torch.optim.SGD; equal while eps is constant)
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, form: str = "course"):
        checks.positive("lr", lr)  # a rate of 0 trains nothing
        checks.probability("momentum", momentum)  # a >= 1 lets the velocity grow without bound
        checks.one_of("form", form, FORMS)
        super().__init__(params, dict(lr=lr, momentum=momentum, form=form))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, bufs = _with_grads(group, self.state, "v")
            if not params:
                continue
            eps, a = group["lr"], group["momentum"]
            if group["form"] == "course":
                torch._foreach_mul_(bufs, a)
                torch._foreach_add_(bufs, grads, alpha=-eps)
                torch._foreach_add_(params, bufs)
            else:
                torch._foreach_mul_(bufs, a)
                torch._foreach_add_(bufs, grads)
                torch._foreach_add_(params, bufs, alpha=-eps)
        return loss


class Nesterov(Optimizer):
    """SGD with Nesterov momentum, Goodfellow et al. alg. 8.3.

    course: interim theta~ = theta + a v;  g = grad J(theta~);  v <- a v - eps g;  theta <- theta + v
            (step needs a closure: the gradient is taken at theta~)
    torch:  g = grad J(theta);  b <- a b + g;  theta <- theta - eps (g + a b)
            (torch.optim.SGD(nesterov=True), Sutskever et al. 2013's reparameterisation; no closure needed)
    """

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9, form: str = "course"):
        checks.positive("lr", lr)  # a rate of 0 trains nothing
        checks.probability("momentum", momentum)  # a >= 1 lets the velocity grow without bound
        checks.one_of("form", form, FORMS)
        super().__init__(params, dict(lr=lr, momentum=momentum, form=form))

    @torch.no_grad()
    def step(self, closure=None):
        if all(g["form"] == "torch" for g in self.param_groups):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                params, grads, bufs = _with_grads(group, self.state, "v")
                if not params:
                    continue
                eps, a = group["lr"], group["momentum"]
                torch._foreach_mul_(bufs, a)
                torch._foreach_add_(bufs, grads)
                torch._foreach_add_(params, grads, alpha=-eps)
                torch._foreach_add_(params, bufs, alpha=-eps * a)
            return loss
        if closure is None:
            raise RuntimeError(
                "Nesterov (course form, alg. 8.3) takes the gradient at the interim point theta + a v, "
                "so step() needs a closure that recomputes the loss and its gradient"
            )
        moved = [(*_velocities(self, g), g["momentum"]) for g in self.param_groups]
        for params, vs, a in moved:  # theta -> theta~ = theta + a v
            torch._foreach_add_(params, vs, alpha=a)
        with torch.enable_grad():
            loss = closure()
        for (params, vs, a), group in zip(moved, self.param_groups):
            torch._foreach_add_(params, vs, alpha=-a)  # back to theta
            has = [i for i, p in enumerate(params) if p.grad is not None]
            if not has:
                continue
            ps, gs, bufs = [params[i] for i in has], [params[i].grad for i in has], [vs[i] for i in has]
            torch._foreach_mul_(bufs, a)
            torch._foreach_add_(bufs, gs, alpha=-group["lr"])
            torch._foreach_add_(ps, bufs)
        return loss


class RMSProp(Optimizer):
    """RMSProp, Goodfellow et al. alg. 8.5.

    r <- rho r + (1 - rho) g*g
    course: theta <- theta - eps / sqrt(delta + r) * g      (delta 1e-6, inside the root)
    torch:  theta <- theta - eps / (sqrt(r) + delta) * g    (torch.optim.RMSprop(alpha=rho, eps=delta))
    """

    def __init__(
        self, params, lr: float = 0.001, rho: float = 0.9, delta: float = 1e-6, form: str = "course"
    ):
        checks.positive("lr", lr)
        checks.probability("rho", rho)
        checks.positive("delta", delta)  # 0 divides a zero gradient by sqrt(0): 0/0 on the first step
        checks.one_of("form", form, FORMS)
        super().__init__(params, dict(lr=lr, rho=rho, delta=delta, form=form))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, rs = _with_grads(group, self.state, "r")
            if not params:
                continue
            rho, delta = group["rho"], group["delta"]
            torch._foreach_mul_(rs, rho)
            torch._foreach_addcmul_(rs, grads, grads, value=1 - rho)
            if group["form"] == "course":
                denom = torch._foreach_add(rs, delta)
                torch._foreach_sqrt_(denom)
            else:
                denom = torch._foreach_sqrt(rs)
                torch._foreach_add_(denom, delta)
            torch._foreach_addcdiv_(params, grads, denom, value=-group["lr"])
        return loss


class RMSPropNesterov(Optimizer):
    """RMSProp with Nesterov momentum, Goodfellow et al. alg. 8.6.

    interim theta~ = theta + a v;  g = grad J(theta~);  r <- rho r + (1 - rho) g*g;
    v <- a v - eps / sqrt(delta + r) * g;  theta <- theta + v

    The book writes eps / sqrt(r): a parameter whose gradient is exactly zero while r is still zero (a ReLU
    unit silent on a whole batch, a weight from an always-zero input) gives 0/0 = NaN and the run diverges,
    so delta (default 1e-6, inside the root as in alg. 8.5) guards it; delta=0 is the book verbatim.
    The step needs a closure, because the gradient is taken at the interim point.
    """

    def __init__(
        self, params, lr: float = 0.001, rho: float = 0.9, momentum: float = 0.9, delta: float = 1e-6
    ):
        checks.positive("lr", lr)
        checks.probability("rho", rho)
        checks.probability("momentum", momentum)
        checks.non_negative("delta", delta)  # 0 is the book verbatim (see above)
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, delta=delta))

    @torch.no_grad()
    def step(self, closure=None):
        if closure is None:
            raise RuntimeError(
                "RMSPropNesterov (alg. 8.6) takes the gradient at the interim point theta + a v, "
                "so step() needs a closure that recomputes the loss and its gradient"
            )
        moved = [(*_velocities(self, g), g["momentum"]) for g in self.param_groups]
        for params, vs, a in moved:
            torch._foreach_add_(params, vs, alpha=a)
        with torch.enable_grad():
            loss = closure()
        for (params, vs, a), group in zip(moved, self.param_groups):
            torch._foreach_add_(params, vs, alpha=-a)
            has = [i for i, p in enumerate(params) if p.grad is not None]
            if not has:
                continue
            ps, gs, bufs = [params[i] for i in has], [params[i].grad for i in has], [vs[i] for i in has]
            rs = []
            for p in ps:
                st = self.state[p]
                if "r" not in st:
                    st["r"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                rs.append(st["r"])
            rho = group["rho"]
            torch._foreach_mul_(rs, rho)
            torch._foreach_addcmul_(rs, gs, gs, value=1 - rho)
            denom = torch._foreach_add(rs, group["delta"])
            torch._foreach_sqrt_(denom)
            torch._foreach_mul_(bufs, a)
            torch._foreach_addcdiv_(bufs, gs, denom, value=-group["lr"])
            torch._foreach_add_(ps, bufs)
        return loss
