"""Hostile corpus files, each made here: every one is refused by ``Corpus.load`` and ``launchpad corpus info``
with one ``CorpusError`` naming the file and the problem, before it can cost memory."""

import json
import zipfile

import numpy as np
import pytest
from test_corpus_cli import run_cli

from gym_launchpad.corpus import Corpus, CorpusError
from gym_launchpad.launchpad import LaunchpadSpec

SPEC = LaunchpadSpec()


def _good_arrays():
    rng = np.random.default_rng(0)
    corpus = Corpus.from_bars(SPEC, rng.random((40, SPEC.n_notes, SPEC.steps)) < 0.1,
                              sources=np.array(["a.mid", "b.mid"]), source_index=np.arange(40) % 2,
                              metadata={"builder": "test"})
    return {"bars": corpus.bars, "counts": corpus.counts, "source_index": corpus.source_index,
            "bar_number": corpus.bar_number, "sources": corpus.sources,
            "spec": np.array([SPEC.n_notes, SPEC.bar_bits, SPEC.low_note], dtype=np.int64),
            "format_version": np.array(1), "metadata": np.array(json.dumps({"builder": "test"}))}


def _write(path, **changes):
    """A corpus file with some arrays changed (None: left out; bytes: the member's raw content)."""
    arrays = {**_good_arrays(), **changes}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            if array is None:
                continue
            if isinstance(array, bytes):
                archive.writestr(name + ".npy", array)
                continue
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=array.dtype.hasobject)
    return path


def _header_only(shape, dtype, payload=b""):
    """An .npy member whose header declares ``shape`` but that holds only ``payload`` after it."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue() + payload


GOOD = _good_arrays()
K = len(GOOD["bars"])
CASES = {
    "float bars": ({"bars": GOOD["bars"].astype(np.float64)}, "bars must be a 2-dimensional array of uint64"),
    "int64 bars": ({"bars": GOOD["bars"].astype(np.int64)}, "bars must be a 2-dimensional array of uint64"),
    "3-d bars": ({"bars": GOOD["bars"][:, :, None]}, "bars must be a 2-dimensional"),
    "other width": ({"bars": GOOD["bars"][:, :12].copy()}, r"shape \(K, n_notes=24\)"),
    "bits past the bar": ({"bars": GOOD["bars"] | np.uint64(1 << 63), "spec": np.array([24, 5, 48])},
                          "bits set beyond"),
    "repeated bar": ({"bars": np.repeat(GOOD["bars"][:1], K, axis=0)}, "bars must be distinct"),
    "float counts": ({"counts": GOOD["counts"] * 1.5}, "counts must be a 1-dimensional array of int64"),
    "zero count": ({"counts": np.zeros(K, dtype=np.int64)}, "every bar count must be in 1.."),
    "overflowing counts": ({"counts": np.full(K, 2**62, dtype=np.int64)}, "every bar count must be in 1.."),
    "counts too short": ({"counts": GOOD["counts"][:3]}, r"counts must have shape \(40,\)"),
    "source index outside": ({"source_index": np.full(K, 7, dtype=np.int32)}, "outside the 2 sources"),
    "negative source index": ({"source_index": np.full(K, -1, dtype=np.int32)}, "outside the 2 sources"),
    "negative bar number": ({"bar_number": np.full(K, -3, dtype=np.int32)}, "bar_number must be >= 0"),
    "numbers as sources": ({"sources": np.array([1, 2])}, "sources must be a 1-dimensional array of str"),
    "no sources": ({"sources": np.array([], dtype=str)}, "sources declares 0 names"),
    "pickled sources": ({"sources": np.array([{"evil": 1}], dtype=object)}, "sources must be"),
    "spec of four": ({"spec": np.array([24, 6, 48, 1])}, "spec must hold 3 numbers"),
    "spec of floats": ({"spec": np.array([24.0, 6, 48])}, "spec must be a 1-dimensional array of int64"),
    "spec out of range": ({"spec": np.array([0, 6, 48])}, "n_notes must be >= 1"),
    "text version": ({"format_version": np.array("1")}, "format_version must be"),
    "other version": ({"format_version": np.array(2)}, "corpus format 2"),
    "list metadata": ({"metadata": np.array("[1, 2]")}, "metadata must be a JSON object"),
    "broken metadata": ({"metadata": np.array("{oops")}, "JSONDecodeError"),
    "huge metadata": ({"metadata": np.array("x" * (1 << 23))}, "more than"),
    "missing counts": ({"counts": None}, "missing counts"),
    "header claims 10**12 bars": ({"bars": _header_only((10**12, 24), "<u8", b"\0" * 64)},
                                  r"declares shape \(1000000000000, 24\)"),
    "header claims more counts": ({"counts": _header_only((K * 1000,), "<i8", GOOD["counts"].tobytes())},
                                  "declares shape"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_corpus_file_is_one_clear_error(tmp_path, case, capsys):
    changes, message = CASES[case]
    path = _write(tmp_path / "hostile.npz", **changes)
    with pytest.raises(CorpusError, match=message) as error:
        Corpus.load(path)
    assert str(error.value).startswith(str(path))
    assert run_cli("info", path) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0]


def test_the_good_arrays_load(tmp_path):
    """The hostile cases above differ from this one file only by what each changes."""
    assert len(Corpus.load(_write(tmp_path / "good.npz"))) == K


def test_corrupt_compressed_data_is_one_clear_error(tmp_path):
    path = Corpus.load(_write(tmp_path / "good.npz")).save(tmp_path / "saved.npz")
    data = bytearray(path.read_bytes())
    start = data.find(b"bars.npy") + 200  # inside the bars member's compressed bytes
    data[start:start + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(CorpusError, match="damaged"):
        Corpus.load(path)


def test_a_small_file_declaring_millions_of_bars_is_refused_before_it_is_read(tmp_path):
    """A compressed file of a million and one silent bars: 192 MB declared in a few hundred KB, refused under a
    limit of a million as files past MAX_BARS (ten million) are under the default."""
    rows, limit = 1_000_001, 1_000_000
    path = tmp_path / "bomb.npz"
    arrays = {**_good_arrays(), "counts": np.ones(rows, dtype=np.int64)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("bars.npy", "w", force_zip64=True) as member:
            member.write(_header_only((rows, SPEC.n_notes), "<u8"))
            zeros = bytes(1 << 24)
            for _ in range(rows * SPEC.n_notes * 8 // len(zeros)):
                member.write(zeros)
            member.write(bytes(rows * SPEC.n_notes * 8 % len(zeros)))
        for name, array in arrays.items():
            if name != "bars":
                with archive.open(name + ".npy", "w") as member:
                    np.lib.format.write_array(member, array)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(CorpusError, match=f"declares {rows} bars, outside 1..{limit}"):
        Corpus.load(path, max_bars=limit)
    with pytest.raises(CorpusError, match="declares 40 bars, outside 1..10"):
        Corpus.load(_write(tmp_path / "forty.npz"), max_bars=10)
