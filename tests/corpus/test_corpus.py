import zipfile

import numpy as np
import pytest

from gym_launchpad.corpus import Corpus, CorpusError, CorpusSpecError, resolve_corpus
from gym_launchpad.launchpad import LaunchpadSpec

SPEC = LaunchpadSpec()


def make_corpus(n=50, seed=0, spec=SPEC):
    rolls = np.random.default_rng(seed).random((n, spec.n_notes, spec.steps)) < 0.1
    rolls = np.concatenate([rolls, rolls[:5]])  # five bars occur twice
    return Corpus.from_bars(spec, rolls, sources=np.array(["a.mid", "b.mid"]),
                            source_index=np.arange(n + 5) % 2, bar_number=np.arange(n + 5),
                            metadata={"builder": "test"})


def test_from_bars_deduplicates_keeping_counts_and_first_occurrence():
    corpus = make_corpus()
    assert len(corpus) == 50 and corpus.total_count == 55
    assert corpus.counts[:5].tolist() == [2] * 5 and (corpus.counts[5:] == 1).all()
    assert corpus.source_of(3) == ("b.mid", 3)  # first occurrence, not the repeat at bar 53


def test_save_load_round_trip_and_deterministic_bytes(tmp_path):
    corpus = make_corpus()
    a = corpus.save(tmp_path / "a.npz")
    b = corpus.save(tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()
    loaded = Corpus.load(a)
    assert loaded.hash == corpus.hash
    assert np.array_equal(loaded.bars, corpus.bars) and np.array_equal(loaded.counts, corpus.counts)
    assert loaded.sources.tolist() == ["a.mid", "b.mid"] and loaded.metadata == {"builder": "test"}
    assert loaded.spec == SPEC


def test_load_refuses_foreign_spec(tmp_path):
    other = make_corpus(spec=LaunchpadSpec(12, 4, 60)).save(tmp_path / "c.npz")
    with pytest.raises(CorpusSpecError, match="built for LaunchpadSpec\\(n_notes=12"):
        Corpus.load(other, spec=SPEC)
    with pytest.raises(CorpusSpecError, match="Rebuild the corpus"):
        resolve_corpus(str(other), SPEC)


def test_load_refuses_damaged_files(tmp_path):
    good = make_corpus().save(tmp_path / "good.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(CorpusError, match="damaged"):
        Corpus.load(truncated)
    text = tmp_path / "text.npz"
    text.write_text("not a corpus")
    with pytest.raises(CorpusError, match="damaged or not a corpus"):
        Corpus.load(text)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.arange(3))
    with pytest.raises(CorpusError, match="not a gym_launchpad corpus"):
        Corpus.load(foreign)
    with pytest.raises(CorpusError, match="no corpus file"):
        Corpus.load(tmp_path / "missing.npz")


def test_load_refuses_pickled_members(tmp_path):
    path = make_corpus().save(tmp_path / "p.npz")
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    objects = tmp_path / "objects.npz"
    with zipfile.ZipFile(objects, "w") as z:
        for name, data in members.items():
            if name != "sources.npy":
                z.writestr(name, data)
        with z.open("sources.npy", "w") as f:
            np.lib.format.write_array(f, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CorpusError):
        Corpus.load(objects)


def test_empty_corpus_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="empty"):
        Corpus.from_bars(SPEC, np.zeros((0, 24), dtype=np.uint64))


def test_bits_beyond_the_bar_are_refused():
    spec = LaunchpadSpec(2, 2, 60)
    with pytest.raises(CorpusError, match="beyond the 4 steps"):
        Corpus(spec, np.array([[1, 16]], dtype=np.uint64), [1], ["x"], [0], [0])


def test_merge_adds_counts_and_refuses_other_specs():
    a, b = make_corpus(seed=0), make_corpus(seed=0)
    merged = Corpus.merge([a, b])
    assert len(merged) == len(a) and merged.total_count == 2 * a.total_count
    with pytest.raises(CorpusSpecError, match="different specs"):
        Corpus.merge([a, make_corpus(spec=LaunchpadSpec(12, 4, 60))])
