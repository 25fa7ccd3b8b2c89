from agents import demo


def test_demo_writes_greedy_launchpad_and_prints_both_policies(tmp_path, synthetic_corpus_path, capsys):
    assert demo.main(["--out", str(tmp_path / "demo"), "--corpus", synthetic_corpus_path, "--bars", "16"]) == 0
    out = capsys.readouterr().out
    assert "greedy" in out and "random" in out and "ceiling" in out
    text = (tmp_path / "demo" / "greedy.txt").read_text()
    assert "distance to nearest corpus bar" in text and len(text.splitlines()) == 24 + 2
