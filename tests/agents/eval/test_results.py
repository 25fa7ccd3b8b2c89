"""The committed results are what the repo's commands write today (scripts/regenerate_results.sh rewrites them)."""

from pathlib import Path

import pytest

from agents.play import cli as play_cli

RESULTS = Path(__file__).resolve().parents[3] / "agents" / "results"
DOCS = RESULTS.parents[1] / "docs"


@pytest.mark.slow
@pytest.mark.parametrize("song", sorted((RESULTS / "songs").glob("*.mid")), ids=lambda path: path.stem)
def test_a_committed_song_is_what_play_headless_writes_now(tmp_path, song):
    out = tmp_path / song.name
    assert play_cli.main(["--headless", "--agent", song.stem, "--seed", "0", "--bars", "32", "--out", str(out)]) == 0
    assert out.read_bytes() == song.read_bytes(), f"run scripts/regenerate_results.sh songs: {song} is stale"


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_the_front_docs_dj_quotes_is_the_committed_one():
    # front.md's tables (the front, then the DJ songs' music), each quoted whole in docs/dj.md.
    blocks, block = [], []
    for line in (RESULTS / "front" / "front.md").read_text().splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            blocks, block = blocks + ["\n".join(block)], []
    assert len(blocks) == 2 and blocks[0].startswith("| policy | task |") and blocks[1].startswith("| song |")
    docs = (DOCS / "dj.md").read_text()
    assert all(table in docs for table in blocks)
