"""``python -m agents play``: the headless command writes what it played, renders audio, and turns bad input
into one clear message."""

import os
import re
import shutil

import numpy as np
import pytest

from agents.play import cli
from agents.play.session import Session


def test_headless_writes_the_bars_it_played(tmp_path, synthetic_corpus_path, agent, capsys, read_bars):
    out = tmp_path / "song.mid"
    assert cli.main(["--headless", "--bars", "6", "--out", str(out), "--agent", "greedy",
                      "--corpus", synthetic_corpus_path, "--seed", "3"]) == 0
    expected = Session(agent, seed=3)
    expected.play_offline(6)
    np.testing.assert_array_equal(read_bars(out, agent.env.launchpad, 6), np.array(expected.recorded))
    assert "saved 6 bars" in capsys.readouterr().err


@pytest.mark.slow
def test_headless_renders_the_wav(tmp_path, synthetic_corpus_path):
    import wave

    if shutil.which("fluidsynth") is None and not os.environ.get("CI"):
        pytest.skip("fluidsynth is not installed")
    out, wav = tmp_path / "song.mid", tmp_path / "song.wav"
    assert cli.main(["--headless", "--bars", "2", "--bpm", "240", "--out", str(out), "--wav", str(wav),
                      "--agent", "random", "--corpus", synthetic_corpus_path]) == 0
    with wave.open(str(wav)) as audio:
        assert audio.getnframes() / audio.getframerate() >= 2 * 4 * 60 / 240


def test_a_missing_soundfont_still_saves_the_midi(tmp_path, synthetic_corpus_path, capsys):
    out = tmp_path / "song.mid"
    assert cli.main(["--headless", "--bars", "2", "--out", str(out), "--wav", str(tmp_path / "song.wav"),
                      "--soundfont", str(tmp_path / "missing.sf2"), "--agent", "noop",
                      "--corpus", synthetic_corpus_path]) == 0
    err = capsys.readouterr().err
    assert out.is_file() and "saved 2 bars" in err and "missing.sf2 does not exist" in err


@pytest.mark.parametrize("argv, message", [
    (["--headless", "--agent", "greedy"], "--headless needs somewhere"),
    (["--headless", "--out", "x.mid", "--agent", "nosuch.zip"], "model file nosuch.zip does not exist"),
    (["--headless", "--out", "x.mid", "--agent", "nonsense"], "is neither a registered policy"),
    (["--headless", "--out", "x.mid", "--agent", "pretrained", "--corpus", "CORPUS"], "the pretrained agent needs"),
    (["--headless", "--out", "song.wav"], "must be a .mid file"),
    (["--headless", "--out", "no/such/folder/x.mid"], "does not exist"),
    (["--wav", "x.wav", "--headless", "--port", "p"], "give --out song.mid too"),
    (["--synth", "--port", "p"], "leave --port out, or --synth"),
    (["--headless", "--out", "x.mid", "--corpus", "missing.npz"], "no corpus file at missing.npz"),
])
def test_bad_input_is_one_clear_message(argv, message, synthetic_corpus_path, capsys, monkeypatch, tmp_path, unship):
    unship("composer")
    monkeypatch.chdir(tmp_path)
    argv = [synthetic_corpus_path if a == "CORPUS" else a for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_the_flags_a_player_types_parse_as_before():
    from pathlib import Path

    args = cli.parse_args([])
    assert (args.agent, args.clock_in, args.launchpad, args.no_agent, args.headless, args.bars, args.algo) == (
        None, None, None, False, False, 32, "dqn")
    args = cli.parse_args(["--clock-in", "--launchpad", "--no-agent", "--headless", "--trust-pickle", "--synth",
                           "--clock-out", "--out", "song.mid", "--launchpad-model", "mini", "--init", "empty"])
    assert (args.clock_in, args.launchpad, args.no_agent, args.headless, args.trust_pickle) == (
        "", "", True, True, True)
    assert (args.synth, args.clock_out, args.out, args.launchpad_model, args.init) == (
        True, True, Path("song.mid"), "mini", "empty")
    args = cli.parse_args(["--clock-in", "DAW", "--launchpad", "LPX", "--seed", "3", "--bpm", "120"])
    assert (args.clock_in, args.launchpad, args.seed, args.bpm) == ("DAW", "LPX", 3, 120.0)
    for bad in (["--init", "full"], ["--algo", "sac"], ["--launchpad-model", "pro"]):
        with pytest.raises(SystemExit):
            cli.parse_args(bad)


def test_headless_without_a_seed_prints_the_seed_it_drew_and_it_plays_the_song_again(tmp_path, capsys):
    drawn, again = tmp_path / "drawn.mid", tmp_path / "again.mid"
    assert cli.main(["--headless", "--bars", "4", "--agent", "pretrained", "--out", str(drawn)]) == 0
    seed = re.search(r"play: seed (\d+) \(--seed \1 plays this start again\)", capsys.readouterr().err).group(1)
    assert cli.main(["--headless", "--bars", "4", "--agent", "pretrained", "--seed", seed, "--out", str(again)]) == 0
    assert drawn.read_bytes() == again.read_bytes()
