import pytest

from agents import demo


def test_demo_writes_greedy_launchpad_and_prints_both_policies(tmp_path, synthetic_corpus_path, capsys):
    assert demo.main(["--out", str(tmp_path / "demo"), "--corpus", synthetic_corpus_path, "--bars", "16"]) == 0
    out = capsys.readouterr().out
    assert "greedy" in out and "random" in out and "ceiling" in out
    text = (tmp_path / "demo" / "greedy.txt").read_text()
    assert "distance to nearest corpus bar" in text and len(text.splitlines()) == 24 + 2


@pytest.mark.slow
def test_demo_on_the_shipped_corpus_ends_with_the_pretrained_agent_table(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path), "--bars", "8", "--episodes", "1", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("| policy |"):]
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:] if line.startswith("|")] == [
        "pretrained-mlp", "random", "noop", "greedy", "corpus"]
    assert "the best mover (LaunchpadDJ-v0, 32 bars)" in out and (tmp_path / "dj.mid").is_file()
