import numpy as np
import pytest

from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.observation import (
    OBS_MODES,
    bars_from_observations,
    observation_space,
    observation_table,
    observe,
    states_from_observations,
)

SPECS = [LaunchpadSpec(), LaunchpadSpec(1, 2, 60), LaunchpadSpec(5, 3, 50)]


def random_states(spec, count, seed=0):
    rng = np.random.default_rng(seed)
    masks = rng.integers(0, 1 << spec.n_patterns, (count, spec.n_notes))
    offsets = rng.integers(0, spec.steps, (count, spec.n_notes))
    return masks, offsets, spec.row_table[masks, offsets]


@pytest.mark.parametrize("spec", SPECS, ids=str)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_observations_lie_in_their_space_and_batch_like_single_states(spec, obs_mode):
    masks, offsets, words = random_states(spec, 6)
    batch = observe(spec, obs_mode, masks, offsets, words)
    space = observation_space(spec, obs_mode)
    for i in range(len(masks)):
        single = observe(spec, obs_mode, masks[i], offsets[i], words[i])
        assert np.array_equal(batch[i], single) and single.dtype == np.int8 and single in space


def test_the_default_spaces_are_the_documented_shapes():
    spec = LaunchpadSpec()
    shapes = {mode: observation_space(spec, mode).shape for mode in OBS_MODES}
    assert shapes == {"toggles": (312,), "roll": (24, 64), "onehot": (24, 71)}


def test_toggles_observation_read_as_binary_is_the_state_index():
    spec = LaunchpadSpec(1, 2, 60)
    for index in range(spec.n_states):
        state = LaunchpadState.from_index(spec, index)
        obs = observe(spec, "toggles", state.masks, state.offsets, state.words())
        assert int((obs.astype(np.int64) << np.arange(obs.size)).sum()) == index


@pytest.mark.parametrize("spec", SPECS, ids=str)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_the_table_writes_what_observe_sees_after_any_row_changes(spec, obs_mode):
    positions, values = observation_table(spec, obs_mode)
    masks, offsets, words = random_states(spec, 2, seed=1)
    obs = observe(spec, obs_mode, masks[0], offsets[0], words[0]).reshape(-1)
    for row in range(spec.n_notes):  # turn state 0 into state 1 one row at a time
        obs[positions[row]] = values[masks[1, row], offsets[1, row]]
    assert np.array_equal(obs, observe(spec, obs_mode, masks[1], offsets[1], words[1]).reshape(-1))


@pytest.mark.parametrize("spec", SPECS, ids=str)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_decoding_inverts_observe(spec, obs_mode):
    masks, offsets, words = random_states(spec, 5, seed=2)
    obs = observe(spec, obs_mode, masks, offsets, words)
    assert np.array_equal(bars_from_observations(spec, obs_mode, obs), words)
    if obs_mode == "roll":
        with pytest.raises(ValueError, match="cannot be read from a 'roll' observation"):
            states_from_observations(spec, obs_mode, obs)
    else:
        decoded_masks, decoded_offsets = states_from_observations(spec, obs_mode, obs)
        assert np.array_equal(decoded_masks, masks) and np.array_equal(decoded_offsets, offsets)
