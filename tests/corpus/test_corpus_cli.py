"""``launchpad corpus build|info|merge``: what each command writes and prints, and Ctrl-C mid-build."""

import argparse
import importlib
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from midi_song import SONG_BARS, SPEC

from gym_launchpad.corpus import Corpus, cli, default_corpus_path
from gym_launchpad.launchpad import LaunchpadSpec


def run_cli(*argv):
    parser = argparse.ArgumentParser()
    cli.add_cli(parser.add_subparsers())
    args = parser.parse_args(["corpus", *map(str, argv)])
    return args.run(args)


def test_cli_build_writes_the_corpus_and_a_report_beside_it(mostly_broken, tmp_path, capsys):
    output = tmp_path / "out" / "songs.npz"
    assert run_cli("build", mostly_broken, "-o", output, "--workers", "2", "-q") == 0
    printed = capsys.readouterr().out
    assert "14 of 14 files" in printed and f"{len(SONG_BARS) * 2} kept" in printed
    report = json.loads((tmp_path / "out" / "songs.report.json").read_text())
    assert len(report["failures"]) == 12
    assert {tuple(f[:2]) for f in report["failures"]} >= {("empty0.mid", "empty file"),
                                                          ("deep/text1.mid", "not a MIDI file")}
    assert not {"a_song.mid", "deep/er/b_song.MIDI"} & {f[0] for f in report["failures"]}
    assert Corpus.load(output).counts.tolist() == [2] * len(SONG_BARS)


def test_what_build_prints_is_what_is_on_disk_and_the_report_names_it(mostly_broken, tmp_path, capsys, monkeypatch):
    output = tmp_path / "songs.npz"
    assert run_cli("build", mostly_broken, "-o", output, "--workers", "1", "-q") == 0
    on_disk = Corpus.load(output)
    assert f"hash {on_disk.hash[:16]}" in capsys.readouterr().out
    assert json.loads((tmp_path / "songs.report.json").read_text())["corpus_hash"] == on_disk.hash
    # Another build into the same path finishes just after this one's save: this one must not claim the file.
    other = Corpus.from_bars(SPEC, np.array([SONG_BARS[0]]))
    save = Corpus.save
    monkeypatch.setattr(Corpus, "save", lambda corpus, path: (save(corpus, path), save(other, path))[0])
    assert run_cli("build", mostly_broken, "-o", output, "--workers", "1", "-q") == 1
    printed = capsys.readouterr()
    assert f"another process wrote {output} after this one (hash {other.hash[:16]}" in printed.err
    assert "wrote" not in printed.out
    assert json.loads((tmp_path / "songs.report.json").read_text())["corpus_hash"] == on_disk.hash


def test_cli_build_options_reach_the_builder(mostly_broken, tmp_path):
    output = tmp_path / "dropped.npz"
    assert run_cli("build", mostly_broken, "-o", output, "--drop-out-of-range", "--parser", "pretty_midi",
                   "--workers", "1", "-q") == 0
    corpus = Corpus.load(output)
    assert corpus.metadata["options"]["fold"] is False
    # Without folding bar 0 is the bare triad, still kept; bar 5 has one pitch left and is not.
    assert corpus.bar_number.tolist() == [0, 1, 2]


def test_cli_info_and_merge(tmp_path, fixtures, capsys):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    Corpus.from_bars(SPEC, np.array([SONG_BARS[0], SONG_BARS[1]]), sources=np.array(["x.mid"])).save(first)
    Corpus.from_bars(SPEC, np.array([SONG_BARS[1], SONG_BARS[2]]), sources=np.array(["y.mid"])).save(second)
    merged = tmp_path / "c.npz"
    assert run_cli("merge", first, second, "-o", merged) == 0
    corpus = Corpus.load(merged)
    assert corpus.counts.tolist() == [1, 2, 1]
    png = tmp_path / "bars.png"
    assert run_cli("info", merged, "--png", png, "--bars", "2") == 0
    printed = capsys.readouterr().out
    assert "3 distinct, 4 with repeats, from 2 sources" in printed
    assert corpus.hash in printed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_info_names_the_builder_of_the_shipped_corpus_as_it_is_called_now(capsys):
    assert run_cli("info", default_corpus_path()) == 0
    builder = re.search(r"^built by: (\S+)\.(\w+) \(python (\S+)\)", capsys.readouterr().out, re.MULTILINE)
    module, function, script = builder.groups()
    assert callable(getattr(importlib.import_module(module), function))
    assert (Path(__file__).parents[2] / script).is_file()


def test_info_on_an_interrupted_build_counts_the_files_read_not_those_found(tmp_path, capsys):
    path = tmp_path / "partial.npz"
    metadata = {"files": 820, "files_read": 18, "files_failed": 1, "failures_by_reason": {"truncated": 1},
                "interrupted": True}
    Corpus.from_bars(SPEC, np.array([SONG_BARS[0]]), metadata=metadata).save(path)
    assert run_cli("info", path) == 0
    assert 'files: 18 of 820 read, 1 failed {"truncated": 1} (interrupted)' in capsys.readouterr().out


def test_cli_merge_refuses_other_specs(tmp_path, capsys):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    Corpus.from_bars(SPEC, np.array([SONG_BARS[0]])).save(first)
    small = LaunchpadSpec(n_notes=12, bar_bits=6, low_note=60)
    Corpus.from_bars(small, np.ones((1, 12), dtype=np.uint64)).save(second)
    assert run_cli("merge", first, second, "-o", tmp_path / "c.npz") == 2
    assert "different specs" in capsys.readouterr().err
    assert not (tmp_path / "c.npz").exists()


def start_long_build(folder, song, copies: int, output, *flags: str) -> subprocess.Popen:
    """``launchpad corpus build`` of ``copies`` copies of ``song`` in ``folder`` into ``output`` (2 workers,
    pretty_midi, ``flags`` added), started in a child process with its output piped: long enough to signal."""
    folder.mkdir()
    data = song.read_bytes()
    for i in range(copies):
        (folder / f"{i:05d}.mid").write_bytes(data)
    code = ("import sys; from gym_launchpad.cli import main; "
            "sys.exit(main(['corpus', 'build', sys.argv[1], '-o', sys.argv[2], '--workers', '2', "
            "'--parser', 'pretty_midi', *sys.argv[3:]]))")
    return subprocess.Popen([sys.executable, "-c", code, str(folder), str(output), *flags], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_ctrl_c_or_a_closed_terminal_writes_a_valid_smaller_corpus(tmp_path, fixtures, capsys, sig):
    output = tmp_path / "partial.npz"
    process = start_long_build(tmp_path / "many", fixtures["song"], 3000, output)
    # Interrupt once the progress bar shows the build under way: a fixed sleep raced the build on a fast
    # machine and sometimes arrived after the last file.
    err_parts = []
    while True:
        chunk = process.stderr.read(1)
        if not chunk:
            break
        err_parts.append(chunk)
        if chunk in "\r\n" and re.search(r"\b([1-9]\d*)/3000\b", "".join(err_parts[-200:])):
            process.send_signal(sig)
            break
    out, rest = process.communicate(timeout=120)
    err = "".join(err_parts) + rest
    assert process.returncode == 130, (out, err)
    assert "interrupted" in err
    corpus = Corpus.load(output)
    report = json.loads(output.with_name("partial.report.json").read_text())
    assert report["interrupted"] is True and 0 < report["files_read"] < 3000
    assert corpus.total_count == report["bars_kept"] == report["files_parsed"] * len(SONG_BARS)
    assert run_cli("info", output) == 0
    assert f"files: {report['files_read']} of 3000 read" in capsys.readouterr().out
