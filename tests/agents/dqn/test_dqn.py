"""LaunchpadDQN: SB3's DQN by default, the paper's loss and clipping on request, and the double-DQN target."""

import numpy as np
import torch
from stable_baselines3 import DQN
from test_train import _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn import train
from agents.dqn.launchpad_dqn import LaunchpadDQN, linear_schedule
from agents.dqn.learner_reward import LearnerReward
from agents.dqn.networks import policy_kwargs
from agents.dqn.presets import get_preset


def test_launchpad_dqn_defaults_train_exactly_as_sb3(synthetic_corpus_path):
    preset = get_preset("mlp", learning_starts=50, buffer_size=1000)
    corpus = preset.load_corpus(synthetic_corpus_path)
    weights = []
    for cls in (DQN, LaunchpadDQN):
        env = train.make_vec_env(preset, corpus, 1, 0, LearnerReward())
        model = cls("MlpPolicy", env, learning_starts=50, buffer_size=1000,
                    learning_rate=linear_schedule(1e-3, 1e-4), policy_kwargs=policy_kwargs(preset), seed=0,
                    device="cpu", max_grad_norm=10)
        weights.append(model.learn(200).q_net.state_dict())
    for key in weights[0]:
        torch.testing.assert_close(weights[0][key], weights[1][key], rtol=0, atol=0)


def test_paper_loss_and_clipping_change_training(tmp_path, synthetic_corpus_path):
    variants = {("huber", "global"): None, ("mse", "global"): None, ("mse", "per_tensor"): None}
    for loss, grad_clip in variants:
        logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=150, name=f"{loss}-{grad_clip}",
                        extra=["--checkpoint-freq", "0", "--set", f"loss={loss}", "--set", f"grad_clip={grad_clip}"])
        model = LaunchpadDQN.load(logdir / "final_model.zip", device="cpu")
        assert (model.loss, model.grad_clip) == (loss, grad_clip)
        variants[loss, grad_clip] = model.q_net.state_dict()["q_net.0.weight"]
    weights = list(variants.values())
    for i in range(3):
        for j in range(i):
            assert not torch.equal(weights[i], weights[j])


def test_double_q_values_the_online_networks_choice_with_the_target_network(synthetic_corpus_path):
    preset = get_preset("linear", learning_starts=50, buffer_size=1000)
    corpus = preset.load_corpus(synthetic_corpus_path)
    model = LaunchpadDQN("MlpPolicy", train.make_vec_env(preset, corpus, 1, 0, LearnerReward()), buffer_size=1000,
                         policy_kwargs=policy_kwargs(preset), seed=0, device="cpu")
    with torch.no_grad():  # two different networks, so the two targets differ
        for parameter in model.q_net_target.parameters():
            parameter.add_(torch.randn_like(parameter))
    observations = torch.as_tensor(np.stack([model.observation_space.sample() for _ in range(16)])).float()
    with torch.no_grad():
        online, target = model.q_net(observations), model.q_net_target(observations)
        plain = model.next_state_values(observations)
        model.double_q = True
        double = model.next_state_values(observations)
    torch.testing.assert_close(plain[:, 0], target.max(dim=1).values)
    torch.testing.assert_close(double[:, 0], target[torch.arange(16), online.argmax(dim=1)])
    assert not torch.equal(plain, double) and bool((double <= plain).all())
