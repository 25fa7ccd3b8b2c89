"""Presets refuse settings that cannot work together, naming what to drop; --set values parse as their field."""

import pytest

from agents.dqn.presets import get_preset, parse_overrides


def test_reward_shaping_is_checked():
    with pytest.raises(ValueError, match="unknown reward_shaping 'better'"):
        get_preset("mlp", reward_shaping="better")
    with pytest.raises(ValueError, match="drop one of them"):
        get_preset("mlp", reward_shaping="improvement", center_reward=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"obs_mode": "roll"}, "shows only the bar"),
    ({"env_kwargs": {"reward_mode": "sampled"}}, "random draw"),
])
def test_reward_head_refuses_what_it_cannot_look_ahead(changes, message):
    with pytest.raises(ValueError, match=message):
        get_preset("mlp", reward_head=True, **changes)


def test_reward_head_needs_one_step_targets():
    with pytest.raises(ValueError, match="n_steps=1"):
        get_preset("mlp", reward_head=True, n_steps=3)


def test_overrides_parse_as_their_field():
    assert parse_overrides(["center_reward=true", "gamma=0.9", 'env_kwargs={"init": "empty"}']) == {
        "center_reward": True, "gamma": 0.9, "env_kwargs": {"init": "empty"}}
    with pytest.raises(ValueError, match="expected true or false"):
        parse_overrides(["center_reward=yes"])
    with pytest.raises(ValueError, match="unknown preset field"):
        parse_overrides(["gama=0.9"])
