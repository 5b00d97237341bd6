"""Each optimizer's first three steps against the course's update equations (Goodfellow et al. ch. 8),
written out independently here in plain tensor arithmetic with an analytic gradient; second-order
ones converge on small convex problems and refuse models that are too large."""

from __future__ import annotations

import hydra
import pytest
import torch
from omegaconf import OmegaConf

import dlx
from dlx.checks import ConfigError
from dlx.optim.course import Momentum, Nesterov, RMSProp, RMSPropNesterov
from dlx.optim.second_order import BFGS, ConjugateGradient, Newton

OPTIM_DIR = dlx.CONFIG_DIR / "optim"
TOL = dict(atol=1e-6, rtol=0)

# Tiny fixed problem: J(theta) = 1/2 |A theta - b|^2, theta = (p1 (3,), p2 (2, 2)) flattened to (7,).
gen = torch.Generator().manual_seed(0)
A = torch.randn(9, 7, generator=gen, dtype=torch.float64)
B = torch.randn(9, generator=gen, dtype=torch.float64)
THETA0 = torch.randn(7, generator=gen, dtype=torch.float64)


def zeros():
    return torch.zeros(7, dtype=torch.float64)


def grad(theta):  # analytic gradient A^T (A theta - b), independent of autograd
    return A.T @ (A @ theta - B)


def make_params():
    return [THETA0[:3].clone().requires_grad_(), THETA0[3:].clone().view(2, 2).requires_grad_()]


def flat(params):
    return torch.cat([p.detach().reshape(-1) for p in params])


def closure_for(params, opt):
    def closure():
        opt.zero_grad()
        r = A @ torch.cat([p.reshape(-1) for p in params]) - B
        loss = 0.5 * r.dot(r)
        loss.backward()
        return loss

    return closure


def run3(opt_fn, use_closure=True, lrs=None):
    params = make_params()
    opt = opt_fn(params)
    out = []
    for k in range(3):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[k]
        closure = closure_for(params, opt)
        if use_closure:
            opt.step(closure)
        else:
            closure()
            opt.step()
        out.append(flat(params))
    return out


def load_optim(name):
    cfg = OmegaConf.load(OPTIM_DIR / f"{name}.yaml")
    return cfg.optim if "optim" in cfg else cfg  # batch methods are `@package _global_` (they set trainer keys)


def yaml_opt(name, **over):
    cfg = load_optim(name)
    for k, v in over.items():
        cfg[k] = v
    return hydra.utils.instantiate(cfg)


# ---- the book's equations, one function per algorithm -------------------------------------------------


def book_sgd(eps):  # alg. 8.1
    th, out = THETA0.clone(), []
    for _ in range(3):
        th = th - eps * grad(th)
        out.append(th)
    return out


def book_momentum(eps, a, eps_k=None):  # alg. 8.2
    th, v, out = THETA0.clone(), zeros(), []
    for k in range(3):
        e = eps_k[k] if eps_k else eps
        v = a * v - e * grad(th)
        th = th + v
        out.append(th)
    return out


def book_nesterov(eps, a):  # alg. 8.3
    th, v, out = THETA0.clone(), zeros(), []
    for _ in range(3):
        g = grad(th + a * v)
        v = a * v - eps * g
        th = th + v
        out.append(th)
    return out


def book_adagrad(eps, delta):  # alg. 8.4
    th, r, out = THETA0.clone(), zeros(), []
    for _ in range(3):
        g = grad(th)
        r = r + g * g
        th = th - eps / (delta + torch.sqrt(r)) * g
        out.append(th)
    return out


def book_rmsprop(eps, rho, delta):  # alg. 8.5
    th, r, out = THETA0.clone(), zeros(), []
    for _ in range(3):
        g = grad(th)
        r = rho * r + (1 - rho) * g * g
        th = th - eps / torch.sqrt(delta + r) * g
        out.append(th)
    return out


def book_rmsprop_nesterov(eps, rho, a, delta):  # alg. 8.6 (delta = 0 is the book verbatim)
    th, r, v, out = THETA0.clone(), zeros(), zeros(), []
    for _ in range(3):
        g = grad(th + a * v)
        r = rho * r + (1 - rho) * g * g
        v = a * v - eps / torch.sqrt(delta + r) * g
        th = th + v
        out.append(th)
    return out


def book_adam(eps, rho1, rho2, delta):  # alg. 8.7
    th, s, r, out = THETA0.clone(), zeros(), zeros(), []
    for t in range(1, 4):
        g = grad(th)
        s = rho1 * s + (1 - rho1) * g
        r = rho2 * r + (1 - rho2) * g * g
        s_hat, r_hat = s / (1 - rho1**t), r / (1 - rho2**t)
        th = th - eps * s_hat / (torch.sqrt(r_hat) + delta)
        out.append(th)
    return out


def assert_steps(got, want):
    for k, (g, w) in enumerate(zip(got, want)):
        assert torch.allclose(g, w, **TOL), f"step {k + 1}: {g} != {w}"
    assert not torch.allclose(got[0], THETA0), "the optimizer did not move"


# ---- first-order: the shipped configs reproduce the book ----------------------------------------------


def test_sgd_config_is_alg_8_1():
    assert_steps(run3(yaml_opt("sgd", lr=0.02)), book_sgd(0.02))


@pytest.mark.parametrize("a", [0.5, 0.9, 0.99])
def test_momentum_config_is_alg_8_2(a):
    assert_steps(run3(yaml_opt("momentum", lr=0.02, momentum=a)), book_momentum(0.02, a))


def test_momentum_course_form_differs_from_torch_under_a_schedule():
    # The book's velocity is in parameter units: a new eps scales only the new gradient.
    lrs = [0.02, 0.005, 0.001]
    course = run3(lambda p: Momentum(p, lr=0.02, momentum=0.9), lrs=lrs)
    assert_steps(course, book_momentum(None, 0.9, eps_k=lrs))
    torch_form = run3(lambda p: Momentum(p, lr=0.02, momentum=0.9, form="torch"), lrs=lrs)
    ref = run3(lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9), lrs=lrs)
    assert_steps(torch_form, ref)
    assert not torch.allclose(course[2], torch_form[2], **TOL)


def test_nesterov_config_is_alg_8_3():
    assert_steps(run3(yaml_opt("nesterov", lr=0.02, momentum=0.9)), book_nesterov(0.02, 0.9))


def test_nesterov_torch_form_is_torch_sgd():
    got = run3(lambda p: Nesterov(p, lr=0.02, momentum=0.9, form="torch"), use_closure=False)
    ref = run3(lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True), use_closure=False)
    assert_steps(got, ref)


def test_nesterov_course_form_needs_a_closure():
    params = make_params()
    opt = Nesterov(params, lr=0.01)
    closure_for(params, opt)()
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()


def test_adagrad_config_is_alg_8_4():
    cfg = OmegaConf.load(OPTIM_DIR / "adagrad.yaml")
    assert cfg.eps == 1e-7  # the book's delta
    # delta large enough here to show where it sits: eps / (delta + sqrt(r))
    assert_steps(run3(yaml_opt("adagrad", lr=0.3, eps=0.5)), book_adagrad(0.3, 0.5))
    assert_steps(run3(yaml_opt("adagrad", lr=0.3)), book_adagrad(0.3, 1e-7))


def test_rmsprop_config_is_alg_8_5():
    # a large delta separates the book's sqrt(delta + r) from torch's sqrt(r) + delta
    assert_steps(run3(yaml_opt("rmsprop", lr=0.01, delta=0.3)), book_rmsprop(0.01, 0.9, 0.3))
    assert_steps(run3(yaml_opt("rmsprop", lr=0.01)), book_rmsprop(0.01, 0.9, 1e-6))
    torch_form = run3(lambda p: RMSProp(p, lr=0.01, rho=0.9, delta=0.3, form="torch"))
    ref = run3(lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.3))
    assert_steps(torch_form, ref)
    assert not torch.allclose(torch_form[0], book_rmsprop(0.01, 0.9, 0.3)[0], **TOL)


def test_rmsprop_nesterov_config_is_alg_8_6():
    assert_steps(run3(yaml_opt("rmsprop_nesterov", lr=0.01)), book_rmsprop_nesterov(0.01, 0.9, 0.9, 1e-6))
    got = run3(lambda p: RMSPropNesterov(p, lr=0.01, rho=0.5, momentum=0.5, delta=0.0))
    assert_steps(got, book_rmsprop_nesterov(0.01, 0.5, 0.5, 0.0))


def test_adam_config_is_alg_8_7():
    cfg = OmegaConf.load(OPTIM_DIR / "adam.yaml")
    assert (list(cfg.betas), cfg.eps) == ([0.9, 0.999], 1e-8)  # the book's defaults
    assert_steps(run3(yaml_opt("adam", lr=0.05)), book_adam(0.05, 0.9, 0.999, 1e-8))
    assert_steps(run3(yaml_opt("adam", lr=0.05, eps=0.1)), book_adam(0.05, 0.9, 0.999, 0.1))


def test_bad_values_name_the_key():
    with pytest.raises(ConfigError, match=r"^momentum=1.5 is wrong: allowed is a number in \[0, 1\)$"):
        Momentum(make_params(), momentum=1.5)
    with pytest.raises(ConfigError, match="^form=book is wrong: allowed is one of course, torch$"):
        RMSProp(make_params(), form="book")
    with pytest.raises(ConfigError, match="^beta=hs is wrong: allowed is one of polak_ribiere, fletcher_reeves$"):
        ConjugateGradient(make_params(), beta="hs")


@pytest.mark.parametrize("name", sorted(p.stem for p in OPTIM_DIR.glob("*.yaml")))
def test_every_config_builds_an_optimizer_that_steps(name):
    params = make_params()
    cfg = load_optim(name)
    opt = yaml_opt(name, lr=min(cfg.lr, 0.01) if cfg.lr < 1 else cfg.lr)(params)  # stable on |A|^2 ~ 30
    assert isinstance(opt, torch.optim.Optimizer)
    loss0 = closure_for(params, opt)().item()
    needs_graph = getattr(opt, "create_graph", False)

    def closure():
        opt.zero_grad()
        r = A @ torch.cat([p.reshape(-1) for p in params]) - B
        loss = 0.5 * r.dot(r)
        loss.backward(create_graph=needs_graph)
        return loss

    for _ in range(3):
        opt.step(closure)
    assert closure().item() < loss0


# ---- second order ---------------------------------------------------------------------------------------

# Convex logistic regression with an L2 term: J(w) = mean softplus(-y x.w) + c/2 |w|^2, labels y in {-1, 1}.
X = torch.randn(40, 5, generator=gen, dtype=torch.float64)
Y = torch.sign(X @ torch.randn(5, generator=gen, dtype=torch.float64) + 0.5 * torch.randn(40, generator=gen))
C = 0.1


def logistic(w):
    return torch.nn.functional.softplus(-Y * (X @ w)).mean() + 0.5 * C * w.dot(w)


def logistic_grad_hess(w):  # analytic: sigma(-y x.w) terms
    s = torch.sigmoid(-Y * (X @ w))
    g = -(X * (Y * s)[:, None]).mean(0) + C * w
    h = (X.T * (s * (1 - s))) @ X / len(X) + C * torch.eye(5, dtype=torch.float64)
    return g, h


def fit(opt_fn, steps, w0=None):
    w = (torch.zeros(5, dtype=torch.float64) if w0 is None else w0.clone()).requires_grad_()
    opt = opt_fn([w])
    create_graph = getattr(opt, "create_graph", False)

    def closure():
        opt.zero_grad()
        loss = logistic(w)
        loss.backward(create_graph=create_graph)
        return loss

    out = []
    for _ in range(steps):
        opt.step(closure)
        out.append(w.detach().clone())
    return out


def test_newton_is_alg_8_8():
    lam = 1e-3
    got = fit(lambda p: Newton(p, lr=1.0, damping=lam, line_search=False), 3)
    w, want = torch.zeros(5, dtype=torch.float64), []
    for _ in range(3):
        g, h = logistic_grad_hess(w)
        w = w - torch.linalg.solve(h + lam * torch.eye(5, dtype=torch.float64), g)
        want.append(w)
    assert_steps(
        [torch.cat([g, torch.zeros(2, dtype=torch.float64)]) for g in got],
        [torch.cat([v, torch.zeros(2, dtype=torch.float64)]) for v in want],
    )


def test_newton_solves_a_quadratic_in_one_step():
    params = make_params()
    opt = Newton(params, damping=0.0, line_search=False)

    def closure():
        opt.zero_grad()
        r = A @ torch.cat([p.reshape(-1) for p in params]) - B
        loss = 0.5 * r.dot(r)
        loss.backward(create_graph=True)
        return loss

    opt.step(closure)
    want = torch.linalg.lstsq(A, B[:, None]).solution[:, 0]
    assert torch.allclose(flat(params), want, atol=1e-8)


def test_damped_newton_goes_downhill_on_a_nonconvex_loss():
    # tanh net: indefinite Hessian; lambda grows until H + lambda I is positive definite, the line search
    # then makes every step decrease the loss
    torch.manual_seed(0)
    x, y = torch.randn(64, 3), torch.randint(0, 3, (64,))
    net = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    opt = yaml_opt("newton")(net.parameters())

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward(create_graph=True)
        return loss

    losses = [opt.step(closure).item() for _ in range(10)]
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < 0.9 * losses[0]
    assert opt.state["damping"] > 1e-4  # the Hessian was indefinite somewhere on the way


def test_hessian_rows_batched_and_row_by_row_agree():
    from dlx.optim.second_order import _hessian_rows

    w = torch.randn(5, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(logistic(w), w, create_graph=True)
    eye = torch.eye(5, dtype=torch.float64)
    want = logistic_grad_hess(w.detach())[1]
    assert torch.allclose(_hessian_rows(g, [w], eye), want, atol=1e-10)
    assert torch.allclose(_hessian_rows(g, [w], eye, batched=False), want, atol=1e-10)


def test_newton_needs_second_derivatives_from_the_closure():
    w = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    opt = Newton([w])

    def closure():
        opt.zero_grad()
        loss = logistic(w)
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="create_graph=True"):
        opt.step(closure)


def optimum():
    w = fit(lambda p: Newton(p, damping=0.0, line_search=False), 12)[-1]
    g, _ = logistic_grad_hess(w)
    assert g.norm() < 1e-12
    return w


@pytest.mark.parametrize(
    "make,steps",
    [
        (lambda p: ConjugateGradient(p), 30),
        (lambda p: ConjugateGradient(p, beta="fletcher_reeves"), 40),
        (lambda p: BFGS(p), 30),
        # torch's LBFGS stops once the loss changes by < tolerance_change (1e-9), short of 1e-6 in w here
        (lambda p: yaml_opt("lbfgs", tolerance_change=1e-15)(p), 30),
        (lambda p: yaml_opt("newton")(p), 8),
    ],
    ids=["cg_pr", "cg_fr", "bfgs", "lbfgs", "newton"],
)
def test_second_order_converge_on_convex_problem(make, steps):
    w = fit(make, steps)[-1]
    assert torch.allclose(w, optimum(), atol=1e-6)


def test_cg_is_exact_on_a_quadratic_in_n_steps():
    # With (near-)exact line searches, linear CG minimises an n-dim quadratic in n steps; strong Wolfe with
    # c2=0.1 is close enough to get within 1e-6 in a few more.
    params = make_params()
    opt = ConjugateGradient(params, c2=1e-4)
    closure = closure_for(params, opt)
    for _ in range(10):
        opt.step(closure)
    want = torch.linalg.lstsq(A, B[:, None]).solution[:, 0]
    assert torch.allclose(flat(params), want, atol=1e-6)


def test_second_order_refuse_too_large_models():
    big = [torch.zeros(3001, requires_grad=True)]
    with pytest.raises(
        ConfigError,
        match=r"optim=newton refuses this model: it has 3001 parameters, .*"
        r"max_params=3000 because each step builds the n x n Hessian",
    ):
        yaml_opt("newton")(big)
    with pytest.raises(ConfigError, match="optim=bfgs .* 6000 parameters, .*max_params=5000"):
        yaml_opt("bfgs")([torch.zeros(6000, requires_grad=True)])
    yaml_opt("newton", max_params=4000)(big)  # the limit is a key


@pytest.mark.parametrize("cls", [Newton, ConjugateGradient, BFGS, RMSPropNesterov])
def test_closure_required(cls):
    params = make_params()
    opt = cls(params)
    closure_for(params, opt)()
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()


@pytest.mark.slow
def test_lbfgs_config_keeps_going_one_iteration_per_step():
    # With max_iter=1 torch's default max_eval is 1, which leaves the line search no trial beyond the first
    # (max_ls = max_eval - 1 = 0): on digits it stalls at loss 1.81 from step 4 on (t = 0). The config sets
    # max_eval so every loop step is a full L-BFGS iteration.
    from dlx.data.digits import load
    from dlx.models.mlp import MLP

    data = load()
    torch.manual_seed(0)
    net = MLP((1, 8, 8), 10, hidden=[16], activation="tanh")
    opt = yaml_opt("lbfgs")(net.parameters())

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(data.x), data.y)
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(12)]
    assert losses[-1] < 0.5 and all(b <= a for a, b in zip(losses, losses[1:]))
