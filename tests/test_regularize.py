"""Regularizer maths (dlx/regularize.py) against what the course says each one does."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlx import regularize as R


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))


def test_penalties_act_on_weights_only_unless_configured():
    net = small_net()
    w = R.weight_params(net)
    assert [tuple(p.shape) for p in w] == [(6, 4), (3, 6)]  # no biases, no batchnorm scale/shift
    assert len(R.weight_params(net, "all")) == len(list(net.parameters()))
    w1, w2 = net[0].weight, net[3].weight
    want_l2 = 0.5 * 0.01 * (w1.pow(2).sum() + w2.pow(2).sum())  # alpha/2 w^T w
    assert torch.allclose(R.l2_penalty(w, 0.01), want_l2)
    want_l1 = 0.01 * (w1.abs().sum() + w2.abs().sum())  # alpha sum |w|
    assert torch.allclose(R.l1_penalty(w, 0.01), want_l1)
    # gradients: alpha w for L2, alpha sign(w) for L1
    R.l2_penalty(w, 0.01).backward()
    assert torch.allclose(w1.grad, 0.01 * w1)
    w1.grad = None
    R.l1_penalty(w, 0.01).backward()
    assert torch.allclose(w1.grad, 0.01 * w1.sign())


def test_decoupled_decay_shrinks_by_lr_alpha():
    w = [torch.ones(2, 2)]
    R.decoupled_decay(w, alpha=0.1, lr=0.5)
    assert torch.allclose(w[0], torch.full((2, 2), 0.95))


def test_max_norm_projects_each_unit_into_the_ball():
    w = torch.tensor([[3.0, 4.0], [0.3, 0.4]])  # row norms 5 and 0.5
    conv = torch.randn(4, 2, 3, 3) * 10
    R.max_norm_([w, conv], c=2.0)
    assert torch.allclose(w, torch.tensor([[1.2, 1.6], [0.3, 0.4]]), atol=1e-5)
    assert torch.all(conv.flatten(1).norm(dim=1) <= 2.0 + 1e-4)


def test_weight_noise_perturbs_then_restores_exactly():
    torch.manual_seed(0)
    w = [torch.randn(50, 40), torch.randn(10, 50)]
    clean = [t.clone() for t in w]
    saved = R.perturb_weights(w, 0.1)
    diff = torch.cat([(a - b).flatten() for a, b in zip(w, clean)])
    assert diff.std().item() == pytest.approx(0.1, rel=0.05) and abs(diff.mean().item()) < 0.01
    R.restore_weights(w, saved)
    assert all(torch.equal(a, b) for a, b in zip(w, clean))


def test_input_noise_std():
    torch.manual_seed(0)
    x = torch.zeros(200, 50)
    assert R.input_noise(x, 0.3).std().item() == pytest.approx(0.3, rel=0.03)


def test_affine_shift_and_rotation_are_exact():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    zero = torch.zeros(1)
    rot = R.affine(x, torch.tensor([math.pi / 2]), zero, zero)
    assert torch.allclose(rot, torch.rot90(x, 1, (2, 3)), atol=1e-4)  # +angle: counterclockwise
    right = R.affine(x, zero, torch.ones(1), zero)  # content moves one pixel right, edge repeated
    assert torch.equal(right[..., 1:], x[..., :-1]) and torch.equal(right[..., 0], x[..., 0])
    down = R.affine(x, zero, zero, torch.full((1,), 2.0))
    assert torch.equal(down[..., 2:, :], x[..., :2, :])
    seq = torch.arange(6.0).view(1, 1, 6)
    assert torch.equal(
        R.affine(seq, zero, torch.full((1,), 2.0), zero), torch.tensor([[[0.0, 0, 0, 1, 2, 3]]])
    )


@pytest.mark.parametrize("shape", [(64, 1, 8, 8), (64, 3, 12, 10), (64, 1, 40)])
def test_augment_keeps_shapes_and_draws_per_example(shape):
    torch.manual_seed(0)
    x = torch.rand(shape[1:]).expand(shape).contiguous()  # one example repeated
    y = torch.randint(0, 10, (shape[0],))
    y0 = y.clone()
    out = R.augment(x, shift=2, rotate=10.0, noise=0.0)
    assert out.shape == x.shape and out.dtype == x.dtype and torch.equal(y, y0)
    distinct = len(torch.unique(out.flatten(1).round(decimals=5), dim=0))
    # each example draws its own transform: images (continuous angle) all differ, sequences take 5 shifts
    assert distinct == (5 if len(shape) == 3 else shape[0])
    noisy = R.augment(x, shift=0, rotate=0.0, noise=0.1)
    assert (noisy - x).std().item() == pytest.approx(0.1, rel=0.05)


def test_augment_shift_only_matches_one_of_the_allowed_shifts():
    torch.manual_seed(1)
    x = torch.rand(16, 1, 8, 8)
    out = R.augment(x, shift=1, rotate=0.0)
    zero = torch.zeros(1)
    for i in range(16):
        cands = [
            R.affine(x[i : i + 1], zero, torch.full((1,), float(a)), torch.full((1,), float(b)))
            for a in (-1, 0, 1)
            for b in (-1, 0, 1)
        ]
        assert any(torch.equal(out[i : i + 1], c) for c in cands)


def test_fgsm_perturbation_is_bounded_by_epsilon_and_raises_the_loss():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    x, y = torch.randn(32, 1, 4, 4), torch.randint(0, 3, (32,))
    x_adv = R.fgsm(model, F.cross_entropy, x, y, epsilon=0.05)
    assert (x_adv - x).abs().max().item() == pytest.approx(0.05, abs=1e-6)
    assert torch.all((x_adv - x).abs() <= 0.05 + 1e-7)
    assert F.cross_entropy(model(x_adv), y) > F.cross_entropy(model(x), y)
    assert all(p.grad is None for p in model.parameters())  # parameter grads untouched


def test_early_stopping_waits_patience_and_restores_best_weights():
    net = nn.Linear(2, 1)
    es = R.EarlyStopping("val/loss", patience=2, min_delta=0.01)  # auto mode: min for a loss
    seen = []
    for epoch, val in enumerate([1.0, 0.8, 0.795, 0.9]):
        with torch.no_grad():
            net.weight.fill_(epoch)
        seen.append(es.update({"val/loss": val, "val/acc": 0.5}, net, epoch))
    # 0.795 is not better than 0.8 by more than min_delta; 0.9 is worse: two bad evaluations -> stop
    assert seen == [False, False, False, True]
    es.restore(net)
    assert es.best == 0.8 and es.best_epoch == 1 and torch.all(net.weight == 1.0)
    assert R.EarlyStopping("val/acc", 1).mode == "max"


def test_early_stopping_metric_must_be_logged():
    from conftest import make_cfg

    from dlx.checks import ConfigError
    from dlx.setup import check

    cfg = make_cfg(["regularization=early_stopping", "regularization.early_stopping.metric=val/f1"])
    with pytest.raises(ConfigError, match="early_stopping.metric=val/f1 is wrong: allowed are .*val/loss"):
        check(cfg)


def test_difficulty_proxy_and_curriculum_pool():
    x = torch.tensor([[0.0], [0.1], [5.0], [10.0], [10.2], [3.0]])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    d = R.difficulty(x, y, "classification")
    order = torch.argsort(d)
    assert set(order[:2].tolist()) == {0, 1} or set(order[:2].tolist()) == {3, 4}
    assert set(order[-2:].tolist()) == {2, 5}  # far from their class means: hardest
    g = torch.Generator().manual_seed(0)
    perm = R.curriculum_perm(order, 0.5, 6, g)
    assert len(perm) == 6 and set(perm.tolist()) <= set(order[:3].tolist())
    assert sorted(R.curriculum_perm(order, 1.0, 6, g).tolist()) == list(range(6))
    assert [R.pool_fraction(e, 0.25, 3) for e in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]


def test_difficulty_from_a_teacher_is_its_loss():
    teacher = nn.Linear(3, 4)
    x, y = torch.randn(10, 3), torch.randint(0, 4, (10,))
    want = F.cross_entropy(teacher(x), y, reduction="none")
    assert torch.allclose(R.difficulty(x, y, "classification", teacher), want)


def test_soft_target_loss_is_t2_kl():
    s, t = torch.randn(5, 4), torch.randn(5, 4)
    p = F.softmax(t / 3, -1)
    want = (p * (p.log() - F.log_softmax(s / 3, -1))).sum(1).mean() * 9
    assert torch.allclose(R.soft_target_loss(s, t, 3.0), want, atol=1e-6)
    assert R.soft_target_loss(t, t, 2.0).abs() < 1e-6


def test_hint_capture_and_regressor():
    student = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 2))
    teacher = nn.Sequential(nn.Linear(4, 9), nn.ReLU(), nn.Linear(9, 2))
    assert R.hint_layer(student) == "1" and R.hint_layer(teacher) == "1"
    store = {}
    R.capture(student, "1", store, "s")
    R.capture(teacher, "1", store, "t")
    x = torch.randn(3, 4)
    student(x), teacher(x)
    r = R.regressor(store["s"], store["t"])
    assert r(store["s"]).shape == (3, 9)
    want = 0.5 * (r(store["s"]) - store["t"]).pow(2).sum(1).mean()
    assert torch.allclose(R.hint_loss(r, store["s"], store["t"]), want)
    maps = R.regressor(torch.zeros(2, 8, 4, 4), torch.zeros(2, 16, 4, 4))
    assert isinstance(maps, nn.Conv2d) and maps.kernel_size == (1, 1)
    with pytest.raises(ValueError, match="distill layer='nope' is not a module"):
        R.capture(student, "nope", store, "s")


def test_grad_norms_per_layer():
    net = small_net()
    net(torch.randn(8, 4)).sum().backward()
    norms = R.grad_norms(net)
    assert set(norms) == {"0", "1", "3"}
    want = torch.sqrt(net[0].weight.grad.pow(2).sum() + net[0].bias.grad.pow(2).sum())
    assert norms["0"] == pytest.approx(want.item())


def test_grad_vanish_is_larger_for_deep_sigmoid_than_relu_and_leaves_grad_alone():
    import torch.nn.functional as F

    from dlx.models.mlp import MLP
    from dlx.regularize import grad_vanish

    torch.manual_seed(0)
    x, y = torch.randn(256, 32), torch.randint(0, 10, (256,))
    deep = {a: MLP((32,), 10, hidden=[64] * 8, activation=a, init="glorot_uniform") for a in ("sigmoid", "relu")}
    v = {a: grad_vanish(m, F.cross_entropy, x, y) for a, m in deep.items()}
    assert v["sigmoid"] > 3 and v["relu"] < 1.5, v  # sigmoid: 1000x less gradient at the first layer
    assert grad_vanish(MLP((32,), 10, hidden=[64] * 2, activation="sigmoid"), F.cross_entropy, x, y) < v["sigmoid"]
    assert all(p.grad is None for p in deep["sigmoid"].parameters())  # the optimizer's .grad untouched
    assert grad_vanish(MLP((32,), 10, hidden=[]), F.cross_entropy, x, y) is None  # one layer: no ratio
