"""Activations and initialisations in dlx/models/common.py compute what the course defines."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlx.checks import ConfigError
from dlx.models.common import ACTIVATIONS, INITS, activation, init_weights, width_factor

Z = torch.tensor([[-2.0, -0.5, 0.0, 0.5, 3.0, -1.0]])


@pytest.mark.parametrize(
    "name,want",
    [
        ("sigmoid", 1 / (1 + torch.exp(-Z))),
        ("tanh", (torch.exp(Z) - torch.exp(-Z)) / (torch.exp(Z) + torch.exp(-Z))),
        ("relu", torch.where(Z > 0, Z, 0.0)),  # max(0, z)
        ("leaky_relu", torch.where(Z > 0, Z, 0.01 * Z)),  # max(0, z) + 0.01 min(0, z)
        ("prelu", torch.where(Z > 0, Z, 0.25 * Z)),  # learned slope, PyTorch starts it at 0.25
        ("abs", torch.where(Z > 0, Z, -Z)),  # absolute value rectification
    ],
)
def test_activation_values(name, want):
    assert torch.allclose(activation(name)(Z), want, atol=1e-6)


def test_maxout_takes_the_max_of_k_pieces():
    z = torch.tensor([[1.0, 5.0, -3.0, -2.0, 0.0, 4.0]])  # (B=1, k*C=6)
    assert torch.equal(activation("maxout", maxout_k=2)(z), torch.tensor([[5.0, -2.0, 4.0]]))
    assert torch.equal(activation("maxout", maxout_k=3)(z), torch.tensor([[5.0, 4.0]]))
    img = torch.randn(2, 6, 4, 4)  # conv maps: max over groups of channels, per pixel
    out = activation("maxout", maxout_k=3)(img)
    assert out.shape == (2, 2, 4, 4)
    assert torch.equal(out[:, 1], img[:, 3:6].amax(1))
    assert width_factor("maxout", 3) == 3 and width_factor("relu", 3) == 1


def test_prelu_slope_is_learned():
    act = activation("prelu")
    (slope,) = list(act.parameters())
    act(Z).sum().backward()
    assert slope.grad.item() == pytest.approx(float(Z[Z < 0].sum()))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_backpropagates_in_a_net(name):
    k = width_factor(name, 2)
    net = nn.Sequential(nn.Linear(4, 8 * k), activation(name, 2), nn.Linear(8, 3))
    out = net(torch.randn(5, 4))
    assert out.shape == (5, 3)
    out.sum().backward()
    assert net[0].weight.grad.abs().sum() > 0


def test_sigmoid_saturates_where_relu_does_not():
    # the course's reason ReLU trains deep nets: sigmoid's derivative is <= 1/4 and ~0 for large |z|
    z = torch.tensor([-10.0, 0.0, 10.0], requires_grad=True)
    activation("sigmoid")(z).sum().backward()
    assert z.grad[1] == pytest.approx(0.25) and z.grad[0] < 1e-4 and z.grad[2] < 1e-4
    z.grad = None
    activation("relu")(z).sum().backward()
    assert z.grad[2] == 1.0


def test_unknown_names_are_refused():
    with pytest.raises(ConfigError, match="^activation=swish is wrong: allowed is one of sigmoid, tanh"):
        activation("swish")
    with pytest.raises(ConfigError, match="^init=xavier is wrong: allowed is one of default, glorot_uniform"):
        init_weights(nn.Linear(2, 2), "xavier")


def test_glorot_uniform_bound_and_zero_bias():
    torch.manual_seed(0)
    lin = nn.Linear(300, 100)
    init_weights(lin, "glorot_uniform")
    bound = math.sqrt(6 / (300 + 100))  # U(-sqrt(6/(m+n)), +sqrt(6/(m+n)))
    w = lin.weight
    assert w.abs().max() <= bound and w.abs().max() > 0.98 * bound
    assert w.var().item() == pytest.approx(bound**2 / 3, rel=0.05)  # variance of U(-b, b)
    assert torch.equal(lin.bias, torch.zeros(100))


def test_he_and_orthogonal():
    torch.manual_seed(0)
    lin = nn.Linear(400, 200)
    init_weights(lin, "he")
    assert lin.weight.var().item() == pytest.approx(2 / 400, rel=0.05)  # N(0, 2 / fan_in)
    init_weights(lin, "orthogonal")
    w = lin.weight  # (200, 400): orthonormal rows
    assert torch.allclose(w @ w.T, torch.eye(200), atol=1e-5)
    conv = nn.Conv2d(3, 8, 3)
    init_weights(conv, "glorot_uniform")
    assert conv.weight.abs().max() <= math.sqrt(6 / (3 * 9 + 8 * 9))
    assert set(INITS) == {"default", "glorot_uniform", "he", "orthogonal", "zeros", "small", "normal"}


def test_the_inits_that_ignore_the_layer_size():
    torch.manual_seed(0)
    lin = nn.Linear(400, 200)
    init_weights(lin, "zeros")
    assert torch.equal(lin.weight, torch.zeros(200, 400)) and torch.equal(lin.bias, torch.zeros(200))
    init_weights(lin, "small")
    assert lin.weight.std().item() == pytest.approx(0.01, rel=0.05)  # N(0, 0.01^2), whatever the fan-in
    init_weights(lin, "normal")
    assert lin.weight.std().item() == pytest.approx(1.0, rel=0.05)  # N(0, 1)



# ---- dead units (notes l. 965: a ReLU "no puede aprender si su valor de activación vale cero") ----------------


def _net(act: str, bias: float) -> nn.Sequential:
    """(B, 3) -> Linear(3, 4) -> act -> Linear(4, 2); the first two hidden units get a bias no input overcomes."""
    k = width_factor(act, 2)
    lin = nn.Linear(3, 4 * k)
    with torch.no_grad():
        lin.weight.fill_(0.1)
        lin.bias.zero_()
        lin.bias[: 2 * k] = bias
    return nn.Sequential(lin, activation(act, 2), nn.Linear(4, 2))


def test_dead_units_counts_relus_that_never_activate():
    from dlx.models.common import dead_units

    x = torch.rand(50, 3)  # inputs in [0, 1): pre-activations 0.1 * sum(x) + bias
    assert dead_units(_net("relu", -5.0), x, batch_size=16) == 0.5  # 2 of 4 units off for every input
    assert dead_units(_net("relu", 0.0), x) == 0.0
    for act in ("leaky_relu", "prelu", "abs", "maxout", "tanh"):  # the remedies (and tanh) pass a gradient
        assert dead_units(_net(act, -5.0), x) == 0.0, act
    assert dead_units(_net("sigmoid", -200.0), x) == 0.5  # saturated: float32 derivative exactly 0
    assert dead_units(nn.Sequential(nn.Linear(3, 2)), x) is None  # no activation module


def test_dead_units_of_a_conv_net_are_channels():
    from dlx.models.common import dead_units

    conv = nn.Conv1d(1, 4, 3)
    with torch.no_grad():  # positive weights on inputs in [0, 1): only the channel with bias -50 never activates
        conv.weight.fill_(0.1)
        conv.bias[:] = torch.tensor([-50.0, 0.0, 0.0, 0.0])
    net = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6, 2))
    assert dead_units(net, torch.rand(10, 1, 8)) == 0.25


def test_dead_units_and_grad_vanish_reach_result_and_tensorboard(tmp_path):
    from conftest import run_cfg
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    final = run_cfg(["trainer.dead_units=true", "trainer.grad_norms=true", "model.hidden=[16,16]",
                     "trainer.max_epochs=2", "device=cpu"], tmp_path)["final"]
    assert 0.0 <= final["train/dead_units"] <= 1.0 and math.isfinite(final["train/grad_vanish"])
    tags = set(EventAccumulator(str(tmp_path)).Reload().Tags()["scalars"])
    assert {"train/dead_units", "train/grad_vanish"} <= tags
    from dlx.metrics import diagnostic_metrics  # what the preflight lets a claim block name

    assert set(diagnostic_metrics(True, True)) <= set(final) and diagnostic_metrics(False, False) == []
    plain = run_cfg(["model.hidden=[16]", "trainer.max_steps=2", "device=cpu"], tmp_path / "plain")
    assert "train/dead_units" not in plain["final"] and "train/grad_vanish" not in plain["final"]
