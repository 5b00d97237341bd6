"""Second-order and line-search optimizers (Goodfellow et al. 2016, sec. 8.6) that torch.optim lacks:
Newton's method (alg. 8.8), nonlinear conjugate gradient (alg. 8.9) and BFGS. L-BFGS is
torch.optim.LBFGS (configs/optim/lbfgs.yaml).

All three need ``step(closure)``: the closure zeroes the grads, computes the loss on a fixed batch
(full batch, or one large batch per step), calls backward and returns the loss; the line searches call
it several times per step. Newton also needs second derivatives, so its closure must call
``loss.backward(create_graph=True)``; the class attribute ``create_graph = True`` tells the loop so.

Newton and BFGS hold an n x n matrix for n parameters, so they refuse models above ``max_params``.
"""

from __future__ import annotations

import warnings

import torch
from torch.optim import Optimizer

# torch's own strong-Wolfe line search (LBFGS's), which has no public name: read on torch 2.13
# (tests/test_private_apis.py fails when its signature changes)
from torch.optim.lbfgs import _strong_wolfe

from dlx import checks
from dlx.checks import ConfigError

CG_BETAS = ("polak_ribiere", "fletcher_reeves")


def _params(opt: Optimizer) -> list[torch.Tensor]:
    return [p for g in opt.param_groups for p in g["params"]]


def _flat_grad(params: list[torch.Tensor], keep_graph: bool = False) -> torch.Tensor:
    """(n,) gradient of all parameters; zeros where a parameter got none."""
    g = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
    return g if keep_graph else g.detach()


@torch.no_grad()
def _add(params: list[torch.Tensor], t: float, d: torch.Tensor) -> None:
    """theta <- theta + t d for the flat direction d (n,)."""
    offset = 0
    for p in params:
        n = p.numel()
        p.add_(d[offset : offset + n].view_as(p), alpha=t)
        offset += n


def _line_search(closure, params, loss, g, d, t, c2):
    """Strong-Wolfe line search along d from the current point (Nocedal & Wright alg. 3.5, torch's
    implementation); leaves the parameters at theta + t* d and returns (t*, loss, gradient) there."""
    x0 = [p.detach().clone() for p in params]

    def evaluate(x, step, direction):
        _add(params, step, direction)
        with torch.enable_grad():
            f = float(closure().detach())
        gn = _flat_grad(params)
        with torch.no_grad():
            for p, v in zip(params, x):
                p.copy_(v)
        return f, gn

    f, g_new, t, _ = _strong_wolfe(evaluate, x0, t, d, float(loss.detach()), g, float(g.dot(d)), c2=c2)
    _add(params, t, d)
    return t, f, g_new


def _limit(name: str, params: list[torch.Tensor], max_params: int, why: str) -> int:
    n = sum(p.numel() for p in params)
    if n > max_params:
        raise ConfigError(
            f"optim={name} refuses this model: it has {n} parameters, the limit is max_params={max_params} "
            f"because {why} (raise optim.max_params if memory allows, or use optim=lbfgs)"
        )
    return n


def _need_closure(name: str, closure) -> None:
    if closure is None:
        raise RuntimeError(f"{name}.step() needs a closure that recomputes the loss and its gradient")


def _hessian_rows(g: torch.Tensor, params: list[torch.Tensor], e: torch.Tensor, batched: bool = True) -> torch.Tensor:
    """(k, n) rows e @ H of the Hessian, by double backward of the flat gradient g (with its graph): one
    vmapped pass, or one pass per row where vmap cannot run an op (e.g. channels_last convs on CUDA)."""
    grad = lambda v, batched: torch.autograd.grad(
        g,
        params,
        grad_outputs=v,
        is_grads_batched=batched,
        retain_graph=True,
        allow_unused=True,
        materialize_grads=True,
    )
    if batched:
        try:
            parts = grad(e, True)
            return torch.cat([q.reshape(q.shape[0], -1) for q in parts], dim=1)
        except (RuntimeError, NotImplementedError):
            pass
    return torch.stack([torch.cat([q.reshape(-1) for q in grad(row, False)]) for row in e])


class Newton(Optimizer):
    """Newton's method with damping, Goodfellow et al. alg. 8.8 and eq. 8.28.

    g = grad J(theta);  H = exact Hessian of J at theta (n x n, by batched double backward);
    d = -(H + lambda I)^-1 g;  theta <- theta + t d

    lambda = damping + 2 max(0, -e_min) for H's smallest eigenvalue e_min, so H + lambda I is positive
    definite and d goes downhill even where J is not convex (sec. 8.6.1). With ``line_search`` t comes from a
    strong-Wolfe line search starting at t = lr (damped Newton: a step never overshoots into a higher loss);
    without it t = lr. lr=1, damping=0, line_search=false is the book's plain step.
    """

    create_graph = True

    def __init__(
        self,
        params,
        lr: float = 1.0,
        damping: float = 1e-4,
        line_search: bool = True,
        max_params: int = 3000,
    ):
        checks.positive("lr", lr)
        checks.non_negative("damping", damping)
        checks.boolean("line_search", line_search)
        checks.count("max_params", max_params)
        super().__init__(params, dict(lr=lr, damping=damping, line_search=line_search))
        self._n = _limit(
            "newton",
            _params(self),
            max_params,
            "each step builds the n x n Hessian (n backward passes, n^2 float64 = "
            f"{8 * max_params**2 / 2**20:.0f} MiB at the limit) and solves it in O(n^3)",
        )

    def step(self, closure=None):
        _need_closure("Newton", closure)
        params, group = _params(self), self.param_groups[0]
        # cuDNN's RNN kernels have no double backward: the step runs on PyTorch's own kernels
        with warnings.catch_warnings(), torch.backends.cudnn.flags(enabled=False):
            # backward(create_graph=True) links each p.grad to p; the grads are detached after the step
            warnings.filterwarnings("ignore", message="Using backward.. with create_graph=True")
            with torch.enable_grad():
                loss = closure()
                if not any(p.grad is not None and p.grad.grad_fn is not None for p in params):
                    raise RuntimeError("Newton needs a closure that calls loss.backward(create_graph=True)")
                g = _flat_grad(params, keep_graph=True)
                # Row i of H is d g_i / d theta: vmapped double backward over rows of the identity, in
                # chunks so the batched graph (chunk x activations) stays small.
                rows, eye = [], torch.eye(self._n, dtype=g.dtype, device=g.device)
                for i in range(0, self._n, 256):
                    rows.append(_hessian_rows(g, params, eye[i : i + 256]))
            for p in params:  # drop the double-backward graph that p.grad holds
                if p.grad is not None:
                    p.grad = p.grad.detach()
            with torch.no_grad():
                g = g.detach()
                h = torch.cat(rows).double()
                h = (h + h.T) / 2
                # H = Q diag(e) Q^T. The course's fix for negative curvature (sec. 8.6.1): add lambda to the
                # diagonal, large enough to offset the most negative eigenvalue; 2|e_min| gives that direction
                # curvature |e_min|, as it would have on the other side of the saddle.
                e, q = torch.linalg.eigh(h)
                lam = group["damping"] + 2 * max(0.0, -float(e[0]))
                d = -(q @ ((q.T @ g.double()) / (e + lam))).to(g.dtype)
                self.state["damping"] = lam
            if float(g.abs().max()) == 0.0:
                return loss
            if group["line_search"]:
                _line_search(closure, params, loss, g, d, group["lr"], 0.9)
                for p in params:
                    if p.grad is not None:
                        p.grad = p.grad.detach()
            else:
                _add(params, group["lr"], d)
        return loss


class ConjugateGradient(Optimizer):
    """Nonlinear conjugate gradient, Goodfellow et al. alg. 8.9.

    g_t = grad J(theta);  beta_t = (g_t - g_{t-1})^T g_t / g_{t-1}^T g_{t-1}  (Polak-Ribiere, clipped at 0
    so the method restarts with -g when conjugacy is lost)  or  g_t^T g_t / g_{t-1}^T g_{t-1}
    (Fletcher-Reeves);  rho_t = -g_t + beta_t rho_{t-1};  eps* = argmin_eps J(theta + eps rho_t) by a
    strong-Wolfe line search (c2 = 0.1, as Nocedal & Wright advise for CG);  theta <- theta + eps* rho_t.

    ``lr`` is the line search's first trial step (scaled by 1/|g|_1 on the first step, as LBFGS does).
    """

    def __init__(self, params, lr: float = 1.0, beta: str = "polak_ribiere", c2: float = 0.1):
        checks.positive("lr", lr)
        checks.one_of("beta", beta, CG_BETAS)
        checks.fraction("c2", c2)  # strong Wolfe's curvature constant, 0 < c2 < 1
        super().__init__(params, dict(lr=lr, beta=beta, c2=c2))

    def step(self, closure=None):
        _need_closure("ConjugateGradient", closure)
        params, group, st = _params(self), self.param_groups[0], self.state
        with torch.enable_grad():
            loss = closure()
        with torch.no_grad():
            g = _flat_grad(params)
            if "d" not in st:
                d = -g
                t = min(1.0, 1.0 / float(g.abs().sum().clamp_min(1e-12))) * group["lr"]
            else:
                gp, dp = st["g"], st["d"]
                gg = gp.dot(gp).clamp_min(1e-30)
                if group["beta"] == "fletcher_reeves":
                    beta = g.dot(g) / gg
                else:
                    beta = ((g - gp).dot(g) / gg).clamp_min(0.0)
                d = -g + beta * dp
                if float(g.dot(d)) >= 0:  # not a descent direction: restart with steepest descent
                    d = -g
                # first trial step: keep the previous step's predicted decrease (N&W eq. 3.60)
                t = st["t"] * float(gp.dot(dp)) / float(g.dot(d))
                t = min(max(t, 1e-10), 1e10) if t == t else group["lr"]
        if float(g.abs().max()) == 0.0:
            return loss
        t, _, _ = _line_search(closure, params, loss, g, d, t, group["c2"])
        st.update(g=g, d=d, t=t)
        return loss


class BFGS(Optimizer):
    """BFGS with a dense inverse-Hessian estimate (Goodfellow et al. sec. 8.6.3; Nocedal & Wright alg. 6.1).

    rho_t = -M_t g_t;  eps* by a strong-Wolfe line search;  s = eps* rho_t;  y = g(theta + s) - g(theta);
    M <- (I - s y^T / y^T s) M (I - y s^T / y^T s) + s s^T / y^T s   (skipped when y^T s <= 0)
    M_0 = I, rescaled to (y^T s / y^T y) I before the first update (N&W eq. 6.20).
    """

    def __init__(self, params, lr: float = 1.0, max_params: int = 5000, c2: float = 0.9):
        checks.positive("lr", lr)
        checks.count("max_params", max_params)
        checks.fraction("c2", c2)
        super().__init__(params, dict(lr=lr, c2=c2))
        self._n = _limit(
            "bfgs",
            _params(self),
            max_params,
            "BFGS stores a dense n x n inverse-Hessian estimate (n^2 float64 = "
            f"{8 * max_params**2 / 2**20:.0f} MiB at the limit) and updates it in O(n^2) per step",
        )

    def step(self, closure=None):
        _need_closure("BFGS", closure)
        params, group, st = _params(self), self.param_groups[0], self.state
        with torch.enable_grad():
            loss = closure()
        with torch.no_grad():
            g = _flat_grad(params)
            if "m" not in st:
                st["m"] = torch.eye(self._n, dtype=torch.float64, device=g.device)
                t = min(1.0, 1.0 / float(g.abs().sum().clamp_min(1e-12))) * group["lr"]
            else:
                t = group["lr"]
            m = st["m"]
            d = -(m @ g.double()).to(g.dtype)
            if float(g.dot(d)) >= 0:  # estimate lost positive definiteness: restart from I
                m.copy_(torch.eye(self._n, dtype=torch.float64, device=g.device))
                d = -g
        if float(g.abs().max()) == 0.0:
            return loss
        t, _, g_new = _line_search(closure, params, loss, g, d, t, group["c2"])
        with torch.no_grad():
            s, y = (t * d).double(), (g_new - g).double()
            ys = float(y.dot(s))
            if ys > 1e-10:
                if not st.get("scaled"):
                    m.mul_(ys / float(y.dot(y)))
                    st["scaled"] = True
                r = 1.0 / ys
                my = m @ y
                # expanded form of the update above: M - r (s My^T + My s^T) + (r^2 y^T M y + r) s s^T
                m.add_(torch.outer(s, my) + torch.outer(my, s), alpha=-r)
                m.add_(torch.outer(s, s), alpha=r * r * float(y.dot(my)) + r)
        return loss
