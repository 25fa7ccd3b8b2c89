"""The song of :mod:`midi_song` and its broken relatives, as files."""

import pytest
from midi_song import write_song


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """The song and its broken relatives, keyed by name."""
    folder = tmp_path_factory.mktemp("midi")
    song = write_song(folder / "song.mid")
    data = song.read_bytes()
    at_key = data.find(b"\xff\x59\x02")
    files = {"song": song}
    files["empty"] = folder / "empty.mid"
    files["empty"].write_bytes(b"")
    files["truncated"] = folder / "truncated.mid"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["text"] = folder / "text.mid"
    files["text"].write_text("this is a text file that someone named .mid\n")
    files["bad_key"] = folder / "bad_key.mid"
    files["bad_key"].write_bytes(data[: at_key + 3] + bytes([0x20, 0x05]) + data[at_key + 5:])
    return files


@pytest.fixture
def mostly_broken(tmp_path, fixtures):
    """Two good songs (one in a subfolder, named .MIDI) among twelve broken files."""
    data = {name: path.read_bytes() for name, path in fixtures.items()}
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "a_song.mid").write_bytes(data["song"])
    (tmp_path / "deep" / "er" / "b_song.MIDI").write_bytes(data["song"])
    (tmp_path / "readme.txt").write_text("not a MIDI suffix: never read")
    for i in range(4):
        for name in ("empty", "truncated", "text"):
            (tmp_path / ("deep" if i % 2 else ".") / f"{name}{i}.mid").write_bytes(data[name])
    return tmp_path

