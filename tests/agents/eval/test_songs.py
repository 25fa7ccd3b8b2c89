"""``python -m agents songs``: songs written as ``play --headless`` writes them, read back from MIDI, measured."""

import json

import numpy as np
import pytest

from agents import policies
from agents.eval import songs
from agents.play import cli as play_cli
from agents.rollout import write_song
from gym_launchpad.corpus import Corpus
from gym_launchpad.midi.write import write_midi


def test_bars_read_back_from_a_midi_file_are_scored_and_silent_bars_count(tmp_path):
    corpus = Corpus.default()
    bars = np.zeros((4, corpus.spec.n_notes), dtype=np.uint64)
    bars[0] = corpus.bars[0]  # a corpus bar: distance 0
    bars[2] = corpus.bars[0]
    path = tmp_path / "song.mid"
    write_midi(bars, path, corpus.spec)
    distances, _ = songs.song_distances(songs.read_song(path, corpus.spec, 4, corpus.cells), corpus)
    assert distances[0] == 0 and distances[2] == 0
    silent = np.bitwise_count(corpus.bars).sum(axis=1).min()  # the silent bar is as far as the sparsest bar
    assert distances[1] == distances[3] == silent


@pytest.mark.parametrize("agent", ["pretrained", "hopper"])
def test_a_song_written_for_evaluation_is_the_file_play_headless_writes(tmp_path, agent):
    assert play_cli.main(["--headless", "--agent", agent, "--seed", "3", "--bars", "12",
                          "--out", str(tmp_path / "play.mid")]) == 0
    loaded = policies.load_policy(agent)
    write_song(loaded.env, loaded.policy, 3, 12, tmp_path / "eval.mid")
    assert (tmp_path / "eval.mid").read_bytes() == (tmp_path / "play.mid").read_bytes()


@pytest.mark.slow
def test_the_composers_song_is_at_the_corpus(tmp_path, capsys):
    assert songs.main(["--agent", "pretrained", "--seeds", "1", "--bars", "80", "--skip", "60",
                       "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "songs.json").read_text())
    assert result["songs"]["0"]["mean_distance_after_skip"] == 0.0 and result["kind"] == "learned"
    assert (tmp_path / "seed_0.mid").is_file()
    assert "1/1 songs within 15, 1 within 3" in capsys.readouterr().out


@pytest.mark.slow
def test_a_hopper_song_reads_back_with_the_dj_front(tmp_path):
    assert songs.main(["--agent", "hopper", "--seeds", "1", "--first-seed", "2", "--bars", "40", "--skip", "30",
                       "--out", str(tmp_path)]) in (0, 1)
    front = json.loads((tmp_path / "songs.json").read_text())["songs"]["2"]
    assert front["heard_change_fraction"] == 1.0
    assert front["onsets_per_bar"] >= 15 and front["distinct_nearest_per_100_bars"] >= 10
    assert songs.meets({**front, "mean_distance": 6.0})["mean_distance"]
    assert not songs.meets({**front, "mean_distance": 6.5})["mean_distance"]


def test_a_skip_past_the_song_is_refused(tmp_path, capsys):
    assert songs.main(["--bars", "10", "--skip", "10", "--out", str(tmp_path)]) == 2
    assert "--skip" in capsys.readouterr().err
