import pytest
import torch
import torch.nn.functional as F

from dlx.checks import ConfigError
from dlx.models.autoencoder import Autoencoder
from tests.models_util import digits, fit


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("in_shape", [(1, 8, 8), (1, 40)])
def test_shapes(tied, in_shape):
    m = Autoencoder(in_shape, 10, hidden=[16, 4], tied=tied)
    x = torch.randn(3, *in_shape)
    assert m(x).shape == x.shape
    assert m.encoder(x).shape == (3, 4)
    assert Autoencoder.task == "reconstruction"


def test_tied_weights_are_shared():
    untied = Autoencoder((1, 8, 8), 0, hidden=[16, 4])
    tied = Autoencoder((1, 8, 8), 0, hidden=[16, 4], tied=True)
    n = lambda m: sum(p.numel() for p in m.parameters())
    assert n(untied) - n(tied) == 64 * 16 + 16 * 4  # the decoder's weight matrices are gone
    x = torch.rand(2, 1, 8, 8)
    before = tied(x)
    with torch.no_grad():
        tied.encoder[1].weight.mul_(2)  # changes the decoder's first-level weights too
    assert not torch.allclose(before, tied(x))


def test_must_be_undercomplete():
    with pytest.raises(ConfigError, match=r"^hidden=\[100\] is wrong: allowed is strictly decreasing .*undercomplete"):
        Autoencoder((1, 8, 8), 0, hidden=[100])


def test_learns_to_reconstruct_digits():
    torch.manual_seed(0)
    x, _, xt, _ = digits()
    m = Autoencoder((1, 8, 8), 0, hidden=[32, 16], activation="relu")
    first, last = fit(m, x, x, steps=300, loss_fn=F.mse_loss)
    with torch.no_grad():
        mse = F.mse_loss(m(xt), xt).item()
    baseline = F.mse_loss(x.mean(0, keepdim=True).expand_as(xt), xt).item()  # predict the mean image
    assert last < 0.5 * first
    assert mse < 0.6 * baseline


@pytest.mark.parametrize("tied", [False, True])
def test_greedy_pretraining_initialises_the_stack(tied):
    torch.manual_seed(0)
    x, _, xt, _ = digits()
    m = Autoencoder((1, 8, 8), 0, hidden=[32, 16], activation="sigmoid", tied=tied)
    with torch.no_grad():
        before = F.mse_loss(m(xt), xt).item()
    logged = []
    finals = m.pretrain_greedy(x, steps=200, lr=1e-2, batch_size=64, log=lambda *a: logged.append(a))
    with torch.no_grad():
        after = F.mse_loss(m(xt), xt).item()
    assert len(finals) == 2
    assert {name for name, _, _ in logged} == {"pretrain/ae0/recon_mse", "pretrain/ae1/recon_mse"}
    assert after < 0.5 * before  # the stacked shallow autoencoders already reconstruct


def test_encoder_is_a_feature_extractor():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    ae = Autoencoder((1, 8, 8), 0, hidden=[32], activation="relu")
    fit(ae, x, x, steps=200, loss_fn=F.mse_loss)
    clf = torch.nn.Sequential(ae.encoder, torch.nn.Linear(32, 10))
    for p in ae.encoder.parameters():
        p.requires_grad_(False)
    frozen = ae.encoder[1].weight.clone()
    fit(clf, x, y, steps=200)
    assert torch.equal(ae.encoder[1].weight, frozen)
    assert (clf(xt).argmax(1) == yt).float().mean() > 0.8
