"""python -m agents.song_distance: songs written by the play command, read back from MIDI, scored per bar."""

import json

import numpy as np
import pytest

from agents import song_distance
from agents.pretrained import DEFAULT_PRETRAINED, load
from gym_launchpad.midi.write import write_midi


def test_bars_read_back_from_a_midi_file_are_scored_and_silent_bars_count(tmp_path):
    corpus = load(DEFAULT_PRETRAINED).preset.load_corpus()
    bars = np.zeros((4, corpus.spec.n_notes), dtype=np.uint64)
    bars[0] = corpus.bars[0]  # a corpus bar: distance 0
    bars[2] = corpus.bars[0]
    path = tmp_path / "song.mid"
    write_midi(bars, path, corpus.spec)
    distances = song_distance.song_distances(path, corpus, 4)
    assert distances[0] == 0 and distances[2] == 0
    silent = np.bitwise_count(corpus.bars).sum(axis=1).min()  # the silent bar is as far as the sparsest bar
    assert distances[1] == distances[3] == silent


@pytest.mark.slow
def test_the_composers_song_is_at_the_corpus(tmp_path, capsys):
    assert song_distance.main(["--agent", "pretrained", "--seeds", "1", "--bars", "80", "--skip", "60",
                               "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "song_distance.json").read_text())
    assert result["means"] == [0.0]
    assert (tmp_path / "seed_0.mid").is_file()
    assert "| all | 0.00 |" in capsys.readouterr().out


def test_a_skip_past_the_song_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="--skip"):
        song_distance.main(["--bars", "10", "--skip", "10", "--out", str(tmp_path)])
