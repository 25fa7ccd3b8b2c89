import numpy as np
import pytest
import torch
from gymnasium import spaces

from agents.dqn.networks import RowwiseExtractor


def test_rowwise_extractor_shares_one_layer_across_rows():
    extractor = RowwiseExtractor(spaces.MultiBinary((5, 9)), units=16)
    obs = torch.randint(0, 2, (3, 5, 9)).float()
    features = extractor(obs).reshape(3, 5, 16)
    permuted = extractor(obs[:, [4, 3, 2, 1, 0]]).reshape(3, 5, 16)
    torch.testing.assert_close(permuted, features[:, [4, 3, 2, 1, 0]])
    with pytest.raises(ValueError, match="obs_mode='onehot'"):
        RowwiseExtractor(spaces.MultiBinary(45))


def test_dueling_head_splits_value_and_advantage_and_exports(tmp_path, synthetic_corpus_path):
    from agents.dqn import export as pretrained
    from agents.dqn.launchpad_dqn import new_model
    from agents.dqn.networks import DuelingQNetwork
    from agents.dqn.presets import get_preset

    for network, rows in (("linear", False), ("mlp", False), ("linear", True)):
        preset = get_preset(network, dueling=True, row_advantage=rows, buffer_size=100)
        corpus = preset.load_corpus(synthetic_corpus_path)
        env = preset.make_env(corpus)
        model = new_model(preset, env, seed=0)
        q_net = model.q_net
        assert isinstance(q_net, DuelingQNetwork) and not hasattr(q_net, "q_net")
        obs = torch.as_tensor(np.stack([env.reset(seed=s)[0] for s in range(4)])).float()
        hidden = q_net.body(q_net.extract_features(obs, q_net.features_extractor))
        q = q_net(obs)
        # The mean over actions of Q is the state's value: the advantages are centred.
        torch.testing.assert_close(q.mean(dim=1, keepdim=True), q_net.value(hidden))
        with torch.no_grad():
            q_net.advantage.weight.normal_()  # (with rows, the other rows' weights are masked out)
        path = pretrained.export(model, network, preset, corpus, tmp_path / f"{network}{rows}.safetensors")
        agent = pretrained.load(path, corpus=synthetic_corpus_path)
        assert agent.preset.dueling and agent.preset.row_advantage == rows
        np.testing.assert_array_equal(agent.predict(obs.numpy())[0], model.predict(obs.numpy(), deterministic=True)[0])


def test_dueling_and_reward_head_are_not_combined():
    from agents.dqn.presets import get_preset

    with pytest.raises(ValueError, match="drop one of them"):
        get_preset("mlp", dueling=True, reward_head=True)


def test_row_advantages_read_only_the_row_each_press_edits(synthetic_corpus_path):
    from agents.dqn.launchpad_dqn import new_model
    from agents.dqn.presets import get_preset

    preset = get_preset("linear", dueling=True, row_advantage=True, buffer_size=100)
    env = preset.make_env(preset.load_corpus(synthetic_corpus_path))
    q_net = new_model(preset, env, seed=0).q_net
    spec = env.unwrapped.launchpad
    obs = torch.as_tensor(env.reset(seed=0)[0][None]).float()
    base = q_net(obs) - q_net.value(obs)
    # Flipping a bit of row 3 moves only row 3's presses' advantages (and, through the mean, all by one amount).
    bit = int(np.flatnonzero(spec.action_note == 3)[0])
    flipped = obs.clone()
    flipped[0, bit] = 1 - flipped[0, bit]
    change = (q_net(flipped) - q_net.value(flipped) - base)[0]
    row3 = torch.as_tensor(spec.action_note == 3)
    row3[-1] = False
    moved = change - change[~row3].mean()
    assert moved[~row3].abs().max() < 1e-5 and moved[row3].abs().max() > 1e-4
    assert "mask" not in q_net.state_dict()
    with pytest.raises(ValueError, match="drop row_advantage"):
        get_preset("mlp", dueling=True, row_advantage=True)
