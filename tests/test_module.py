import pytest
import torch

from sklearn_rnn._module import RecurrentNetwork


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_output_shapes(cell, bidirectional, pooling):
    torch.manual_seed(0)
    net = RecurrentNetwork(3, 2, cell=cell, hidden_size=5, num_layers=2,
                           bidirectional=bidirectional, pooling=pooling,
                           head_hidden_sizes=(4,), dropout=0.1)
    X = torch.randn(6, 7, 3)
    assert net(X).shape == (6, 2)
    assert net(X, torch.tensor([7, 3, 1, 7, 2, 5])).shape == (6, 2)


def test_return_sequences_shape():
    net = RecurrentNetwork(3, 2, hidden_size=5, return_sequences=True)
    assert net(torch.randn(4, 9, 3)).shape == (4, 9, 2)


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_the_output(pooling, bidirectional):
    torch.manual_seed(0)
    net = RecurrentNetwork(2, 1, cell="gru", hidden_size=4, pooling=pooling,
                           bidirectional=bidirectional).eval()
    seq = torch.randn(1, 3, 2)
    alone = net(seq)
    # Same sequence padded with garbage to length 6, next to a full one.
    padded = torch.cat([seq, 100 * torch.randn(1, 3, 2)], dim=1)
    batch = torch.cat([padded, torch.randn(1, 6, 2)])
    out = net(batch, torch.tensor([3, 6]))
    torch.testing.assert_close(out[:1], alone, rtol=1e-5, atol=1e-6)


def test_input_standardisation_buffers():
    net = RecurrentNetwork(1, 1, input_mean=[10.0], input_scale=[2.0])
    assert "input_mean" in net.state_dict()
    torch.manual_seed(0)
    X = torch.randn(2, 4, 1)
    ref = RecurrentNetwork(1, 1)
    ref.load_state_dict({**net.state_dict(), "input_mean": torch.zeros(1),
                         "input_scale": torch.ones(1)})
    torch.testing.assert_close(net(X * 2 + 10), ref(X))


def test_single_layer_dropout_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RecurrentNetwork(1, 1, num_layers=1, dropout=0.5)


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_exploding_states_in_the_padding_do_not_leak(pooling):
    # A relu cell with a large recurrent weight grows without bound over the
    # padding of a short sequence; the pooled output must not see it.
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = RecurrentNetwork(1, 1, cell="rnn", nonlinearity="relu",
                               hidden_size=2, pooling=pooling).eval()
    with torch.no_grad():
        net.rnn.weight_hh_l0.copy_(1e4 * torch.eye(2))
        net.rnn.bias_ih_l0.fill_(1.0)
    short = torch.ones(1, 2, 1)
    batch = torch.cat([torch.cat([short, torch.ones(1, 60, 1)], dim=1),
                       torch.ones(1, 62, 1)])
    with torch.no_grad():
        out = net(batch, torch.tensor([2, 62]))
        alone = net(short)
    assert torch.isfinite(out[0]).all()
    torch.testing.assert_close(out[:1], alone)
