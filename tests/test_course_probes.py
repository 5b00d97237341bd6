"""What the course's regularization and optimization claims need measured (notes l. 1010-1262): the weights'
size and the step's, accuracy under an attack, the batch order, the initialisations that fail; each in the real
loop where a user reaches it, and one line for a wrong value."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import TINY, dlx_cli, make_cfg, run_cfg
from torch import nn

from dlx import checkpoint, setup
from dlx import regularize as R
from dlx.config import ConfigError


def test_weight_norms_are_the_kernels_norms():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    norms = R.weight_norms(net)
    assert norms["weights/0"] == pytest.approx(net[0].weight.norm().item(), rel=1e-6)
    assert norms["weights/2"] == pytest.approx(net[2].weight.norm().item(), rel=1e-6)
    whole = math.hypot(norms["weights/0"], norms["weights/2"])  # biases are not weights here
    assert norms["weights/norm"] == pytest.approx(whole, rel=1e-6)


def _steps(opt_cls, n, **kw):
    """n steps on a quadratic whose gradient always points the same way: the step ratios."""
    w = nn.Parameter(torch.tensor([1.0, -2.0]))
    model = nn.Module()
    model.w = w
    opt = opt_cls([w], **kw)
    ratios = []
    for _ in range(n):
        before = [w.detach().clone()]
        opt.zero_grad()
        (w.sum() * 3.0).backward()  # g = (3, 3) at every point
        opt.step()
        ratios.append(R.update_size(before, model, kw["lr"])["weights/step_ratio"])
    return ratios


def test_step_ratio_is_one_for_sgd_and_grows_to_one_over_one_minus_alpha_with_momentum():
    from dlx.optim.course import Momentum

    assert _steps(torch.optim.SGD, 3, lr=0.01) == pytest.approx([1.0, 1.0, 1.0])
    ratios = _steps(Momentum, 60, lr=0.01, momentum=0.9)  # gradients agree: v -> eps g / (1 - alpha)
    assert ratios[0] == pytest.approx(1.0) and ratios[1] == pytest.approx(1.9)
    assert ratios[-1] == pytest.approx(10.0, rel=0.01)


def test_noise_moves_every_value_by_eps_and_fgsm_fools_where_noise_does_not():
    torch.manual_seed(0)
    x = torch.randn(400, 20)
    y = (x[:, 0] > 0).long()  # a linearly separable task
    model = nn.Linear(20, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(200):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    noisy = R.perturb(model, F.cross_entropy, x, y, "noise", 0.3)
    assert torch.allclose((noisy - x).abs(), torch.full_like(x, 0.3))
    accs = {kind: R.attacked_accuracy(model, F.cross_entropy, x, y, kind, [0.0, 0.3], 64) for kind in R.ATTACKS}
    clean = (model(x).argmax(-1) == y).float().mean().item()
    assert accs["fgsm"][0.0] == pytest.approx(clean) and clean > 0.95
    assert accs["fgsm"][0.3] < clean - 0.2  # the gradient's direction: a large drop for a small change
    assert accs["noise"][0.3] > clean - 0.1  # the same size in random directions: hardly any
    assert model.training  # put back as it was


def test_attack_metrics_and_weight_norms_reach_result_json_and_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    overrides = ["model.hidden=[8]", "optim=sgd", "trainer.weight_norms=true", "trainer.attack_eps=[0,0.2]", *TINY]
    final = run_cfg(overrides, tmp_path)["final"]
    assert final["test/attack_0/acc"] == pytest.approx(final["test/acc"])
    assert 0 <= final["test/attack_0.2/acc"] <= final["test/acc"]
    assert final["weights/norm"] > 0
    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0}).Reload()
    assert {"weights/net.1", "weights/net.3", "weights/step", "weights/step_ratio"} <= set(acc.Tags()["scalars"])
    assert all(e.value == pytest.approx(1.0) for e in acc.Scalars("weights/step_ratio"))  # plain SGD
    assert final["weights/step_ratio"] == pytest.approx(1.0)


def test_l2_shrinks_a_weight_without_data_gradient_by_one_minus_lr_alpha_each_step(tmp_path):
    """notes l. 1010 in the real loop, measured by scripts/l2_factor.py: the digits' pixels 0, 32 and 39 (and two
    more in this training split) are blank in every image, so the first layer's weights from them get no gradient
    from the data, only L2's: w_k = (1 - eps alpha)^k w_0; the whole layer follows no constant factor."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    run = tmp_path / "run"
    overrides = ["model.hidden=[8]", "model.init=glorot_uniform", "optim=sgd", "optim.lr=0.1", "regularization=l2",
                 "regularization.l2.alpha=0.5", "trainer.max_steps=30", "device=cpu", f"hydra.run.dir={run}"]
    assert dlx_cli("train", *overrides).returncode == 0
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "l2_factor.py"), str(tmp_path)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    row = out.stdout.splitlines()[1].split()  # run seed alpha steps slide measured (n inputs) whole
    assert row[2:4] == ["0.5", "30"] and float(row[4]) == pytest.approx(0.95)
    assert float(row[5]) == pytest.approx(0.95, abs=1e-6)
    assert abs(float(row[-1]) - 0.95) > 1e-3


def test_shuffle_false_and_by_class_fix_the_order():
    y = torch.tensor([2, 0, 1, 0, 2, 1])
    assert setup.fixed_order(True, y, "classification", 6, y.device, False) is None
    assert setup.fixed_order(False, y, "classification", 6, y.device, False).tolist() == list(range(6))
    by_class = setup.fixed_order("by_class", y, "classification", 6, y.device, False)
    assert by_class.tolist() == [1, 3, 2, 5, 0, 4]  # stable: stored order within a class


def test_by_class_batches_hurt(tmp_path):
    """notes l. 1122: the same data, epochs and rate; only the order of the examples differs."""
    common = ["model.hidden=[32]", "trainer.max_epochs=3", "device=cpu"]
    shuffled = run_cfg(common, tmp_path / "a")["final"]["test/acc"]
    by_class = run_cfg([*common, "trainer.shuffle=by_class"], tmp_path / "b")["final"]["test/acc"]
    assert shuffled > 0.7 and by_class < 0.5


def test_zeros_init_never_breaks_the_symmetry(tmp_path):
    overrides = ["model.hidden=[6]", "model.init=zeros", "optim=sgd", "trainer.max_steps=20", "device=cpu"]
    run_cfg(overrides, tmp_path)
    w = checkpoint.load(tmp_path / "checkpoints" / "last.pt")["model"]["net.1.weight"]
    assert torch.equal(w, torch.zeros_like(w))  # relu(0) = 0 upstream of zero output weights: no gradient


@pytest.mark.parametrize("override,words", [
    ("trainer.shuffle=sometimes", "trainer.shuffle=sometimes is wrong: allowed is true, false or by_class"),
    ("trainer.attack=pgd", "trainer.attack=pgd is wrong"),
    ("trainer.attack_eps=[-0.1]", "trainer.attack_eps=[-0.1] is wrong"),
    ("trainer.weight_norms=2", "trainer.weight_norms=2 is wrong"),
    ("model.init=ones", "init=ones is wrong"),
])
def test_wrong_values_name_the_key(override, words):
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        setup.check(make_cfg([override]))


@pytest.mark.parametrize("override", ["trainer.shuffle=by_class", "trainer.attack_eps=[0.1]"])
def test_class_only_options_refuse_regression(override):
    with pytest.raises(ConfigError, match="is wrong for a regression model"):
        setup.check(make_cfg(["dataset=synthetic", override]))


def test_dlx_eval_attack(tmp_path):
    run = tmp_path / "run"
    assert dlx_cli("train", "model.hidden=[8]", "trainer.max_epochs=2", f"hydra.run.dir={run}").returncode == 0
    out = dlx_cli("eval", str(run), "--attack", "noise", "--eps", "0", "--eps", "0.3")
    assert out.returncode == 0, out.stderr
    assert "test noise eps=0 " in out.stdout and "test noise eps=0.3" in out.stdout
    wrong = dlx_cli("eval", str(run), "--eps", "0.1")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == ("dlx: error: --eps 0.1 is wrong: allowed are numbers >= 0 with --attack "
                                    "fgsm|noise")


def test_state_bytes_bfgs_keeps_n_squared_lbfgs_a_history():
    from dlx.optim import state_bytes
    from dlx.optim.second_order import BFGS

    torch.manual_seed(0)
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    sizes = {}
    for name, make in {"sgd": lambda p: torch.optim.SGD(p, lr=0.1), "adam": lambda p: torch.optim.Adam(p),
                       "bfgs": lambda p: BFGS(p), "lbfgs": lambda p: torch.optim.LBFGS(p, history_size=4)}.items():
        net = nn.Linear(5, 3)  # 18 parameters
        opt = make(net.parameters())
        for _ in range(6):
            def closure(opt=opt, net=net):
                opt.zero_grad()
                loss = F.cross_entropy(net(x), y)
                loss.backward()
                return loss
            opt.step(closure)
        sizes[name] = state_bytes(opt)
    assert sizes["sgd"] == 0
    assert sizes["adam"] == 2 * 18 * 4 + 2 * 4  # two float32 moments per parameter (+ each tensor's step count)
    assert sizes["bfgs"] >= 18 * 18 * 8  # the dense float64 estimate
    assert sizes["lbfgs"] < sizes["bfgs"]


def test_rmsprop_nesterov_without_delta_divides_zero_by_zero(tmp_path):
    """The book's alg. 8.6 has no delta: a gradient exactly 0 while r is 0 (the digits' blank pixels, a ReLU unit
    silent on the batch) gives 0/0, so the run ends as diverged; the default delta keeps it finite."""
    common = ["optim=rmsprop_nesterov", "model.hidden=[16]", "trainer.max_steps=3", "trainer.log_every=1", "device=cpu"]
    assert run_cfg([*common, "optim.delta=0"], tmp_path / "book")["status"] == "diverged"
    assert run_cfg(common, tmp_path / "guarded")["status"] == "completed"


@pytest.mark.parametrize("size", [(40,), (8, 8)])
def test_locally_connected_is_a_convolution_once_its_kernels_are_tied(size):
    from dlx.models.cnn import LocallyConnected

    conv = (nn.Conv1d if len(size) == 1 else nn.Conv2d)(3, 5, 3, padding=1)
    lc = LocallyConnected(3, 5, size, kernel_size=3, stride=1, padding=1)
    assert lc.weight.shape[0] == math.prod(size)  # one kernel per position
    with torch.no_grad():
        lc.weight.copy_(conv.weight.reshape(5, -1).T.expand_as(lc.weight))
        lc.bias.copy_(conv.bias[:, None].expand_as(lc.bias))
    x = torch.randn(4, 3, *size)
    assert torch.allclose(lc(x), conv(x), atol=1e-5)


def test_cnn_without_sharing_trains_and_refuses_an_even_kernel(tmp_path):
    from dlx.models.cnn import CNN

    shared, local = CNN((1, 40), 10), CNN((1, 40), 10, shared=False)
    assert sum(p.numel() for p in local.parameters()) > 2 * sum(p.numel() for p in shared.parameters())
    result = run_cfg(["model=cnn", "model.shared=false", "model.channels=[4]", *TINY], tmp_path)
    assert result["status"] == "completed" and math.isfinite(result["final"]["train/loss"])
    with pytest.raises(ConfigError, match="kernel_size=4 is wrong: allowed is an odd number with shared=false"):
        CNN((1, 40), 10, kernel_size=4, shared=False)
