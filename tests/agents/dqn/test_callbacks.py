"""The music scalars: bars read back from observations, and finite ceiling fractions logged per episode."""

import numpy as np
import pytest
from test_train import _scalars, _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn.presets import get_preset
from gym_launchpad.observation import bars_from_observations


def test_music_scalars_match_the_env(tmp_path, synthetic_corpus_path):
    """The final distance logged for the first episode is the distance the env reported at its last step."""
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200, extra=["--checkpoint-freq", "0"])
    logged = _scalars(logdir).Scalars("music/ceiling_fraction")
    assert all(np.isfinite(e.value) for e in logged)
    assert all(e.value <= 1.0 for e in logged)


@pytest.mark.parametrize("obs_mode", ["toggles", "onehot", "roll"])
def test_bars_from_observations_inverts_the_observation(synthetic_corpus_path, obs_mode):
    env = get_preset("mlp", obs_mode=obs_mode).make_env(synthetic_corpus_path, init="random")
    spec = env.unwrapped.launchpad
    observations, bars = [], []
    for seed in range(8):
        obs, _ = env.reset(seed=seed)
        observations.append(obs)
        bars.append(env.unwrapped.words.copy())
    np.testing.assert_array_equal(bars_from_observations(spec, obs_mode, np.stack(observations)), np.stack(bars))
