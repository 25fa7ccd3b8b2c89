"""``python -m agents jam`` of a LaunchpadDJ-v0 policy (:mod:`agents.eval.jam_dj`): the start families given to the
DJ env's reset, a person's presses counting toward the bar, the recovery counts, and the table at a tiny size."""

import json

import numpy as np
import pytest

from agents import starts
from agents.__main__ import main
from agents.eval import jam, jam_dj
from agents.planners.navigator import ceiling_bars
from agents.policies import DJ, load_policy, parse_policy


def test_a_start_family_state_is_the_dj_env_start_and_the_bar_heard_before_the_first():
    loaded = load_policy("follower")
    env = loaded.env.unwrapped
    family = starts.FAMILIES["corpus bar + 20 presses"]
    state = family.state(env.corpus, np.random.default_rng(0), ceiling_bars(env.corpus))
    loaded.env.reset(seed=0, options={"state": state})
    assert (env.words == state.words()).all() and (env.heard_words == state.words()).all()
    assert env.phase == 0 and env.bars == 0


def test_a_persons_presses_count_toward_the_bar_and_never_come_in_the_quiet_tail():
    loaded = load_policy(parse_policy("noop", task=DJ))
    rng = np.random.default_rng(1)
    state = starts.FAMILIES["triad"].state(loaded.env.unwrapped.corpus, rng, np.array([], dtype=np.int64))
    song = jam_dj.play_song(loaded, state, 10, rng, rate=1.0, quiet_tail=3)
    # a person at every bar line after the first but the last 3 (bar lines 1-6), and 24 presses a bar in all
    assert [start for start, _ in song.person] == list(range(1, 7))
    assert loaded.env.unwrapped._steps == 10 * 24 and len(song.distances) == 10 == len(song.words)


def test_person_recoveries_count_bars_back_within_the_radius_and_leave_out_the_interrupted():
    song = jam_dj.Song(np.array([0, 9, 9, 3, 9, 9, 9, 9, 9, 9]), np.zeros(10, bool), np.zeros((10, 1), np.uint64),
                       person=[(1, 20), (4, 9), (7, 9)])
    # from bar line 1: back at its 3rd bar. From 4 and from 7, never back: judged when the 3 bars before the next
    # presses (or the song's end) fill the window, not judged when the window is longer
    assert jam_dj.person_recoveries(song, 6, 3) == ([3, None, None], 0)
    assert jam_dj.person_recoveries(song, 6, 4) == ([3], 2)
    assert jam_dj.person_recoveries(song, 6, 2) == ([None, None, None], 0)
    assert jam_dj.reach(np.array([8, 7, 6, 0]), 6, 2) is None and jam_dj.reach(np.array([8, 7, 6, 0]), 6, 3) == 3


def test_the_follower_gets_to_music_from_an_empty_launchpad_and_a_triad_in_one_bar():
    args = jam.JamArgs(agent="follower", starts=3, song_bars=4, recover_bars=2)
    loaded = load_policy(args.agent, episode_steps=100)
    radius = loaded.env.unwrapped.arrival_radius
    for name in ("empty launchpad", "triad"):
        row = jam_dj.family_row(loaded, list(starts.FAMILIES).index(name), starts.FAMILIES[name], args,
                                ceiling_bars(loaded.env.unwrapped.corpus), radius)
        assert (row.starts, row.reached, row.bars, row.bars_to_reach) == (3, 3, [1, 1, 1], 1.0), row
        assert row.mean_distance <= radius and row.arrivals_per_bar == 1.0  # a new corpus bar every bar


@pytest.mark.parametrize("agent", ["follower", "hopper"])
def test_jam_of_a_dj_policy_prints_every_family_the_persons_presses_and_the_key_fit(agent, tmp_path, capsys):
    assert main(["jam", "--agent", agent, "--starts", "2", "--song-bars", "5", "--recover-bars", "3",
                 "--fit-bars", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{agent} (planner) on LaunchpadDJ-v0")
    for family in starts.FAMILIES:
        assert f"| {family} | " in out
    assert "a person's 1-5 presses at 5% of bar lines" in out
    result = json.loads((tmp_path / "jam.json").read_text())
    assert result["radius"] == 6 and result["presses_per_bar"] == (1 if agent == "hopper" else 24)
    assert len(result["rows"]) == len(starts.FAMILIES) + 1
    for row in result["rows"]:
        got = [b for b in row["bars"] if b is not None]
        assert row["starts"] == len(row["bars"]) and row["reached"] == len(got)
        assert all(1 <= b <= 3 for b in got) and 0 <= row["arrivals_per_bar"] <= 1
    assert result["rows"][-2]["starts"] == 2  # the keys family: one start a key below 20 starts
    assert len(result["key_fit"]) == 24 and result["keys_fit"] == sum(k["fits"] for k in result["key_fit"])
    assert (tmp_path / "jam.md").read_text() == out


def test_jam_refuses_an_unknown_policy_and_a_window_longer_than_the_song(capsys):
    assert main(["jam", "--agent", "nosuch"]) == 2
    assert main(["jam", "--agent", "follower", "--recover-bars", "40", "--song-bars", "30"]) == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "--recover-bars must be at most --song-bars" in err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["random launchpad", "corpus bar + 50 presses"])
def test_the_shipped_dj_agent_gets_to_music_within_30_bars_from_the_hardest_starts(name):
    # Issue #22 item 3 (agents/results/jam/dj: 20/20 of each family); 10 held-out starts of 30 bars here
    args = jam.JamArgs(agent="dj", starts=10, song_bars=30, recover_bars=30)
    loaded = load_policy(args.agent, episode_steps=100)
    row = jam_dj.family_row(loaded, list(starts.FAMILIES).index(name), starts.FAMILIES[name], args,
                            ceiling_bars(loaded.env.unwrapped.corpus), loaded.env.unwrapped.arrival_radius)
    assert row.reached == 10 and row.arrivals_per_bar >= 0.8, row
