import pytest

from agents.eval import demo


def test_demo_writes_greedy_launchpad_and_prints_both_policies(tmp_path, synthetic_corpus_path, capsys):
    assert demo.main(["--out", str(tmp_path / "demo"), "--corpus", synthetic_corpus_path, "--bars", "16"]) == 0
    out = capsys.readouterr().out
    assert "greedy" in out and "random" in out and "ceiling" in out
    text = (tmp_path / "demo" / "greedy.txt").read_text()
    assert "distance to nearest corpus bar" in text and len(text.splitlines()) == 24 + 2


@pytest.mark.slow
def test_demo_on_the_shipped_corpus_writes_the_song_and_ends_with_every_kind_of_policy(tmp_path, capsys):
    import wave

    from gym_launchpad.corpus.build import read_midi_bars
    from gym_launchpad.launchpad import LaunchpadSpec

    assert demo.main(["--out", str(tmp_path), "--bars", "8", "--episodes", "1", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'pretrained.mid'}" in out
    # The composer reaches the corpus within 32 bars, so the song's last bars are not silent.
    found = read_midi_bars(tmp_path / "pretrained.mid", LaunchpadSpec(), fold=False)
    assert found.bar_number.max() == 31
    if (tmp_path / "pretrained.wav").is_file():
        with wave.open(str(tmp_path / "pretrained.wav")) as audio:
            assert audio.getnframes() / audio.getframerate() >= 32 * 2.5
    else:
        assert "no audio:" in out
    table = out[out.index("| policy |"):]
    rows = [[cell.strip() for cell in line.split("|")[1:3]] for line in table.splitlines()[2:] if line.startswith("|")]
    rows = [row for row in rows if row[0] != "explorer"]  # in the table once its weights are shipped
    assert rows == [["pretrained", "learned"], ["anneal", "planner"], ["beam", "planner"],
                    ["navigator", "planner"], ["random", "baseline"], ["noop", "baseline"],
                    ["greedy", "baseline"], ["corpus", "—"]]
    assert "the best mover (LaunchpadDJ-v0, 32 bars)" in out and (tmp_path / "dj.mid").is_file()
