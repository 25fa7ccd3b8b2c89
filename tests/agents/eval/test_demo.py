import numpy as np
import pytest

from agents import policies
from agents.eval import demo
from agents.play import cli as play_cli
from agents.rollout import SONG_TEMPO

#: A second of a WAV is heard when its RMS level is at least this (the peak of every WAV is -1 dBFS).
AUDIBLE_DBFS = -50.0


def test_demo_writes_greedy_launchpad_and_prints_both_policies(tmp_path, synthetic_corpus_path, capsys):
    assert demo.main(["--out", str(tmp_path / "demo"), "--corpus", synthetic_corpus_path, "--bars", "16",
                      "--song-bars", "4", "--episodes", "1", "--steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "greedy" in out and "random" in out and "ceiling" in out
    text = (tmp_path / "demo" / "greedy.txt").read_text()
    assert "distance to nearest corpus bar" in text and len(text.splitlines()) == 24 + 2
    assert "\x1b" not in text  # plain text, no terminal colours


def longest_silence(wav, seconds: int) -> int:
    """The longest run of consecutive seconds of ``wav``'s first ``seconds`` whose level is under AUDIBLE_DBFS."""
    from gym_launchpad.midi.levels import levels_per_second

    quiet = levels_per_second(wav).rms_dbfs[:seconds] < AUDIBLE_DBFS
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], quiet.astype(int), [0])))))[::2]
    return int(runs.max()) if len(runs) else 0


@pytest.mark.slow
def test_demo_songs_are_audible_throughout_and_its_tables_have_every_kind_of_policy(tmp_path, capsys):
    from gym_launchpad.corpus.build import read_midi_bars
    from gym_launchpad.launchpad import LaunchpadSpec

    assert demo.main(["--out", str(tmp_path), "--bars", "8", "--episodes", "1", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'pretrained.mid'}" in out and f"wrote {tmp_path / 'dj.mid'}" in out
    # The composer reaches the corpus within 32 bars, so the song's last bars are not silent.
    found = read_midi_bars(tmp_path / "pretrained.mid", LaunchpadSpec(), fold=False)
    assert found.bar_number.max() == 31
    bar_seconds = 4 * 60 / SONG_TEMPO
    for name in ("dj", "pretrained"):
        wav = tmp_path / f"{name}.wav"
        if not wav.is_file():
            assert "no audio:" in out
            continue
        # No silence longer than a bar (2.56 s: at most two whole seconds) anywhere in the song: before, the
        # composer's held piano chord faded to silence for its last 20 s.
        assert longest_silence(wav, int(32 * bar_seconds)) <= 2, name
    tables = out[out.index("Launchpad-v0:\n"):]
    kinds, in_policy_table = {}, False
    for line in tables.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:3]]
        if line.startswith("|"):
            in_policy_table = in_policy_table or cells[0] == "policy"
        else:
            in_policy_table = False  # the music table of the DJ songs names its rows "NAME (kind)"
        if in_policy_table and line.startswith("| ") and cells[0] not in ("policy", "corpus"):
            kinds.setdefault(cells[0], set()).add(cells[1])
    for name, kind in kinds.items():  # the kind a table gives is the registry's
        assert kind == {policies.REGISTRY[name.removesuffix(f" {policies.WALK_LABEL}")].kind}, name
    assert {f"composer {policies.WALK_LABEL}", "navigator", "greedy", "hopper", "dj"} <= set(kinds)
    assert "LaunchpadDJ-v0:\n" in tables and "- eps: the chance of a random press" in tables


@pytest.mark.slow
def test_the_demos_songs_are_the_files_play_headless_writes(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path), "--bars", "2", "--song-bars", "6", "--episodes", "1",
                      "--steps", "2"]) == 0
    for agent, name, extra in ((policies.PLAY_DEFAULTS[0], "dj", []),
                               ("pretrained", "pretrained", ["--program", str(demo.HELD_PROGRAM)])):
        assert play_cli.main(["--headless", "--agent", agent, "--seed", "0", "--bars", "6", *extra,
                              "--out", str(tmp_path / f"play-{name}.mid")]) == 0
        assert (tmp_path / f"play-{name}.mid").read_bytes() == (tmp_path / f"{name}.mid").read_bytes()
