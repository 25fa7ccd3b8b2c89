"""The DJ task's music table (issue #21 item 4): each policy's songs written as MIDI and read back by song_metrics."""

from agents import policies
from agents.eval import music_table
from agents.eval.front import evaluate_front
from agents.eval.song_metrics import MEASURES, song_metrics


def test_the_music_table_holds_song_metrics_of_the_written_files(tmp_path):
    rows = evaluate_front(2, 40, 100, tasks={policies.DJ: ("follower",)}, songs=tmp_path)
    music = rows["follower (planner) [LaunchpadDJ-v0]"]["music"]
    files = sorted(tmp_path.glob("*.mid"))
    assert [f.name for f in files] == ["follower-100.mid", "follower-101.mid"]
    measured = [song_metrics(path) for path in files]
    for key in MEASURES:
        assert music[key] == sum(m[key] for m in measured) / 2
    stub = {key: (0.0, 1.0) for key in MEASURES}
    table = music_table.music_table({"follower (planner)": music}, stub)
    lines = table.splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    row = [cell.strip() for cell in next(line for line in lines if line.startswith("| follower")).strip("|").split("|")]
    for key in MEASURES:
        assert row[header.index(key)] == f"{music[key]:.2f}"
    assert "| 60 chorales (10th-90th) | 0.00-1.00 |" in table
    assert all(f"- {key}: " in table for key in header[1:])
    without = music_table.music_table({"follower (planner)": music}, None)
    assert "chorales (10th" not in without and "no chorales' row" in without


def test_the_piano_roll_draws_two_songs_read_back_from_midi(tmp_path):
    from agents.eval import piano_roll

    song = piano_roll.agent_song(tmp_path / "follower.mid", "follower", 100, bars=40)
    piano_roll.plot(song, song, tmp_path / "roll.png", agent_first=8, chorale_name="stub", agent="follower")
    assert (tmp_path / "roll.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
