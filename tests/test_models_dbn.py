import itertools
import math

import pytest
import torch

from dlx.models.dbn import DBN, RBM
from tests.models_util import accuracy, digits, fit


def random_rbm(visible, d=4, m=3):
    torch.manual_seed(0)
    rbm = RBM(d, m, visible)
    with torch.no_grad():
        rbm.W.normal_(0, 0.7)
        rbm.c.normal_(0, 0.5)
        rbm.b.normal_(0, 0.5)
    return rbm.double()


def all_h(m):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=m)), dtype=torch.float64)  # (2^m, m)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_free_energy_marginalises_the_energy(visible):
    rbm = random_rbm(visible)
    v = torch.randn(5, 4, dtype=torch.float64)
    if visible == "bernoulli":
        v = (v > 0).double()
    hs = all_h(3)
    for vi in v:
        e = rbm.energy(vi.expand(len(hs), 4), hs)  # E(v, h) for every h in {0,1}^3
        assert torch.allclose(rbm.free_energy(vi[None])[0], -torch.logsumexp(-e, 0))


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_hidden_conditional_matches_the_energy(visible):
    rbm = random_rbm(visible)
    v = torch.randn(1, 4, dtype=torch.float64)
    hs = all_h(3)
    p = torch.softmax(-rbm.energy(v.expand(len(hs), 4), hs), 0)  # p(h | v) by brute force
    marginal = (p[:, None] * hs).sum(0)  # p(h_j = 1 | v)
    assert torch.allclose(rbm.p_h(v)[0], marginal)


def test_visible_conditionals():
    bb, gb = random_rbm("bernoulli"), random_rbm("gaussian")
    h = torch.tensor([[1.0, 0.0, 1.0]], dtype=torch.float64)
    # Bernoulli: p(v_i=1|h) / p(v_i=0|h) = exp(-(E(v_i=1) - E(v_i=0)))
    v0, v1 = torch.zeros(1, 4, dtype=torch.float64), torch.zeros(1, 4, dtype=torch.float64)
    v1[0, 2] = 1
    odds = torch.exp(bb.energy(v0, h) - bb.energy(v1, h))
    assert torch.allclose(bb.mean_v(h)[0, 2], odds / (1 + odds))
    # Gaussian with unit variance: the mean minimises the energy over v
    mu = gb.mean_v(h).detach().requires_grad_(True)
    gb.energy(mu, h).sum().backward()
    assert torch.allclose(mu.grad, torch.zeros_like(mu), atol=1e-12)
    torch.manual_seed(1)
    samples = gb.sample_v(h.expand(20000, 3))
    assert torch.allclose(samples.std(0), torch.ones(4, dtype=torch.float64), atol=0.03)


@pytest.mark.parametrize("persistent", [False, True])
def test_cd_lowers_reconstruction_error_and_free_energy_of_data(persistent):
    torch.manual_seed(0)
    x = (digits()[0].flatten(1) > 0.5).float()
    rbm = RBM(64, 32)
    fe0 = rbm.free_energy(x).mean().item()
    rbm.fit(x[:8], 1, 0.0, 8)  # lr 0 just sets the visible biases to the data's log-odds
    e_bias = torch.nn.functional.mse_loss(rbm.mean_v(torch.bernoulli(rbm.p_h(x))), x).item()
    logged = []
    last = rbm.fit(x, steps=300, lr=0.3, batch_size=50, k=1, persistent=persistent,
                   log=lambda *a: logged.append(a))
    assert last < 0.6 * e_bias
    assert rbm.free_energy(x).mean().item() < fe0 - 5  # data became more probable
    assert {n for n, _, _ in logged} == {"rbm/recon_mse", "rbm/free_energy"}
    assert (rbm.chain is not None) == persistent


def test_dbn_shapes_and_filters():
    m = DBN((1, 8, 8), 10, hidden=[16, 8])
    assert m(torch.rand(3, 1, 8, 8)).shape == (3, 10)
    assert m.filters().shape == (16, 1, 8, 8)
    assert m.rbms[1].visible == "bernoulli"
    assert DBN((1, 40), 10, hidden=[8], visible="gaussian")(torch.randn(2, 1, 40)).shape == (2, 10)
    # fine-tuning sees W and c of every RBM and the head, not the visible biases
    assert {n for n, _ in m.named_parameters()} == {"rbms.0.W", "rbms.0.c", "rbms.1.W", "rbms.1.c",
                                                     "head.weight", "head.bias"}


def test_greedy_pretraining_then_fine_tuning_learns_digits():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    m = DBN((1, 8, 8), 10, hidden=[64, 32])
    logged = []
    finals = m.pretrain(x, steps=150, lr=0.1, batch_size=50, log=lambda *a: logged.append(a), k=1)
    assert len(finals) == 2 and all(math.isfinite(f) for f in finals)
    assert {n for n, _, _ in logged} >= {"pretrain/rbm0/recon_mse", "pretrain/rbm1/free_energy"}
    first, last = fit(m, x, y, steps=200)
    assert last < 0.3 * first
    assert accuracy(m, xt, yt) > 0.85


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_autoencoder_method_trains_each_rbm_as_a_tied_autoencoder(visible):
    torch.manual_seed(0)
    x = digits()[0].flatten(1)
    if visible == "gaussian":
        x = (x - x.mean(0)) / x.std(0).clamp_min(1e-3)
    rbm = RBM(64, 32, visible)
    recon = lambda: torch.nn.functional.mse_loss(rbm.mean_v(rbm.p_h(x)), x).item()
    rbm.fit_autoencoder(x[:8], 1, 0.0, 8)  # lr 0 just sets the visible biases, as fit does
    before = recon()
    logged = []
    last = rbm.fit_autoencoder(x, steps=300, lr=0.1 if visible == "bernoulli" else 0.01, batch_size=50,
                               log=lambda *a: logged.append(a))
    assert recon() < 0.6 * before and math.isfinite(last)
    assert {n for n, _, _ in logged} == {"ae/recon_mse"}
    assert not rbm.b.requires_grad and rbm.W.grad is None and rbm.c.grad is None


def test_autoencoder_pretraining_trains_rbms_that_fine_tuning_keeps_frozen():
    """model.freeze=[rbms] (a feature extractor) freezes the RBMs for fine-tuning, not for their pretraining: the
    autoencoder method changes them as CD does, and they stay frozen afterwards."""
    torch.manual_seed(0)
    x = digits()[0][:200]
    m = DBN((1, 8, 8), 10, hidden=[16, 8])
    for p in m.rbms.parameters():
        p.requires_grad_(False)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m.pretrain(x, steps=20, lr=0.1, batch_size=20, method="autoencoder")
    for k in ("rbms.0.W", "rbms.0.c", "rbms.1.W", "rbms.1.c"):
        assert not torch.equal(m.state_dict()[k], before[k]), k
    assert not any(p.requires_grad for p in m.rbms.parameters())
    assert all(p.grad is None for p in m.rbms.parameters())


def test_pretrain_methods_log_their_own_names_and_none_keeps_the_init():
    torch.manual_seed(0)
    x = digits()[0][:200]
    m = DBN((1, 8, 8), 10, hidden=[16, 8])
    before = {k: v.clone() for k, v in m.state_dict().items()}
    assert m.pretrain(x, steps=5, lr=0.1, batch_size=20, method="none") == []
    assert all(torch.equal(v, before[k]) for k, v in m.state_dict().items())
    logged = []
    assert len(m.pretrain(x, steps=5, lr=0.1, batch_size=20, method="autoencoder",
                          log=lambda *a: logged.append(a))) == 2
    assert {n for n, _, _ in logged} == {"pretrain/ae0/recon_mse", "pretrain/ae1/recon_mse"}
    assert not torch.equal(m.rbms[1].W, before["rbms.1.W"])


def test_a_random_stack_at_glorots_scale_gives_features_that_vary_with_the_input():
    """method=random, the control of frozen features: the RBMs' own N(0, 0.01^2) init leaves the second layer's
    units nearly constant over inputs; drawn again at Glorot's scale they vary, and a linear probe reads them."""
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    m = DBN((1, 8, 8), 10, hidden=[64, 64])
    spread = lambda: m.features(x).std(0).mean().item()  # how much a unit changes from one input to the next
    small = spread()
    assert m.pretrain(x, steps=5, lr=0.1, batch_size=20, method="random") == []
    bound = math.sqrt(6 / (64 + 64))
    w = m.rbms[1].W
    assert w.abs().max() <= bound and w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    assert spread() > 5 * small
    m.probe(x, y, torch.nn.functional.cross_entropy, steps=100)
    assert accuracy(m, xt, yt) > 0.8


def test_the_linear_probe_fits_the_head_alone_on_the_pretrained_features():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    m = DBN((1, 8, 8), 10, hidden=[64])
    m.pretrain(x, steps=300, lr=0.2, batch_size=20)
    rbm = {k: v.clone() for k, v in m.state_dict().items() if not k.startswith("head.")}
    chance = accuracy(m, xt, yt)
    final = m.probe(x, y, torch.nn.functional.cross_entropy, steps=100)
    assert math.isfinite(final) and chance < 0.3 and accuracy(m, xt, yt) > 0.75  # a classifier before fine-tuning
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in rbm.items())  # the features are left as they were
    assert all(p.grad is None for p in m.parameters())


def test_units_off_finds_the_hidden_units_a_too_fast_cd_phase_kills():
    x = digits()[0]
    torch.manual_seed(0)
    healthy, dead = DBN((1, 8, 8), 10, hidden=[64, 16]), DBN((1, 8, 8), 10, hidden=[64])
    healthy.pretrain(x, steps=300, lr=0.2, batch_size=20)
    torch.manual_seed(0)
    dead.pretrain(x, steps=1000, lr=1.0, batch_size=20)  # the former defaults: every unit ends up off
    off = healthy.units_off(x)
    assert len(off) == 2 and off[0] < 0.1
    assert dead.units_off(x) == [1.0]


@pytest.mark.slow  # five 30-epoch runs through the loop (~20 s on one core)
def test_the_defaults_on_digits_over_five_seeds(tmp_path):
    """The figure README's Reference results quote for `dlx train -m model=dbn seed=0,1,2,3,4` (0.9621; without
    the linear probe 0.9437, without pretraining 0.9398; the issue's target is 0.95)."""
    from conftest import run_cfg

    accs = [run_cfg(["model=dbn", f"seed={s}", "device=cpu", "trainer.checkpoint=false"], tmp_path / str(s))
            ["final"]["test/acc"] for s in range(5)]
    assert sum(accs) / 5 >= 0.95, accs
