"""A corpus in all 12 keys (:mod:`gym_launchpad.corpus.keys`): the builders' ``--all-keys`` and the envs'
``all_keys=True`` give the same corpus, every bar in every key, on the shipped chorales."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import gym_launchpad  # noqa: F401
from gym_launchpad.corpus import Corpus, cli, default_corpus_path, onset_corpus_path
from gym_launchpad.corpus.build import describe
from gym_launchpad.corpus.keys import KEYS, in_all_keys, source_prefers_up, transpose_key, transpose_rows
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.reward import best_row_fits

ROOT = Path(__file__).resolve().parents[2]
SPEC = LaunchpadSpec()


@pytest.fixture(scope="module")
def shipped():
    return Corpus.default(), in_all_keys(Corpus.default())


def pitch_classes(bar) -> frozenset:
    return frozenset(int(p) % 12 for p in SPEC.pitches[np.flatnonzero(bar)])


def test_every_shipped_bar_is_in_all_12_keys_with_its_count(shipped):
    corpus, transposed = shipped
    where = {bar.tobytes(): i for i, bar in enumerate(transposed.bars)}
    prefer_up = source_prefers_up(corpus)
    for k in range(KEYS):
        moved = transpose_key(SPEC, corpus.bars, k, prefer_up[corpus.source_index, k]) if k else corpus.bars
        assert all(bar.tobytes() in where for bar in moved)
        classes = [pitch_classes(bar) for bar in moved[:50]]
        assert classes == [frozenset((c + k) % 12 for c in pitch_classes(bar)) for bar in corpus.bars[:50]]
    assert transposed.total_count == KEYS * corpus.total_count
    # Some bars come out alike (a chord shape in one key is another chorale's in another): stored once.
    assert 11 * len(corpus) < len(transposed) < KEYS * len(corpus)
    # The originals come first, as they were.
    assert np.array_equal(transposed.bars[:len(corpus)], corpus.bars)
    assert np.array_equal(transposed.source_index[:len(corpus)], corpus.source_index)


def test_a_bar_moves_by_rows_and_a_row_pushed_out_folds_in_by_an_octave():
    bar = np.zeros((1, 24), dtype=np.uint64)
    bar[0, [11, 15, 18, 23]] = [0xFF, 0xF0, 0xFF00, 0x0F]  # a chord: B2, Eb3, F#3 and B3 (row 23)
    up = transpose_rows(SPEC, bar, 1)[0]
    assert np.flatnonzero(up).tolist() == [12, 16, 19] and up[12] == 0xFF  # row 23 + 1 folded onto row 12
    down = transpose_rows(SPEC, bar, -11)[0]
    assert np.flatnonzero(down).tolist() == [0, 4, 7, 12]
    assert down[[0, 4, 7, 12]].tolist() == [0xFF, 0xF0, 0xFF00, 0x0F]
    # Up, row 23's four cells land on row 12's: moving down 11 keeps them all, so it is chosen whichever way
    # the source leans.
    for prefer_up in (True, False):
        assert np.array_equal(transpose_key(SPEC, bar, 1, np.array([prefer_up]))[0], down)
    # A tie (no cell lost either way) goes the way the source leans.
    small = np.zeros((1, 24), dtype=np.uint64)
    small[0, 15] = 1
    assert np.flatnonzero(transpose_key(SPEC, small, 3, np.array([True]))[0]).tolist() == [18]
    assert np.flatnonzero(transpose_key(SPEC, small, 3, np.array([False]))[0]).tolist() == [6]


def test_a_transposed_bar_keeps_its_bar_number_and_names_its_transposed_source(shipped):
    corpus, transposed = shipped
    sources = len(corpus.sources)
    assert len(transposed.sources) == KEYS * sources
    assert transposed.metadata["all_keys"]["sources_per_key"] == sources
    assert transposed.metadata["all_keys"]["from_hash"] == corpus.hash
    i = len(corpus) + 10
    step, s = divmod(int(transposed.source_index[i]), sources)
    assert transposed.source_of(i)[0] == f"{corpus.sources[s]} (key +{step})"
    original = corpus.bar_number[(corpus.source_index == s)]
    assert transposed.bar_number[i] in original
    assert transposed.metadata["cells"] == corpus.metadata["cells"]


def exactly_played(corpus) -> np.ndarray:
    """The bars the launchpad plays exactly (each distinct row word fitted once)."""
    words, inverse = np.unique(corpus.bars, return_inverse=True)
    return np.flatnonzero(best_row_fits(SPEC, words)[0][inverse.reshape(corpus.bars.shape)].sum(axis=1) == 0)


def test_the_ceiling_bars_cover_every_pitch_class(shipped):
    corpus, transposed = shipped
    env = gym.make("gym_launchpad/Launchpad-v0", all_keys=True).unwrapped
    assert env.corpus.hash == transposed.hash and env.ceiling.distance == 0
    ceiling = exactly_played(transposed)
    lowest = {int(SPEC.pitches[np.flatnonzero(bar)[0]]) % 12 for bar in transposed.bars[ceiling]}
    assert lowest == set(range(12))
    # Every bar the launchpad plays exactly plays exactly in every key.
    chords = {pitch_classes(bar) for bar in transposed.bars[ceiling]}
    original = exactly_played(corpus)
    for bar in corpus.bars[original]:
        assert all(frozenset((c + k) % 12 for c in pitch_classes(bar)) in chords for k in range(KEYS))


def test_the_env_argument_gives_the_corpus_the_builder_flag_gives(fixtures, tmp_path):
    plain, keyed = tmp_path / "plain.npz", tmp_path / "keyed.npz"
    for output, flags in ((plain, []), (keyed, ["--all-keys"])):
        parser = argparse.ArgumentParser()
        cli.add_cli(parser.add_subparsers())
        args = parser.parse_args(["corpus", "build", str(fixtures["song"]), "-o", str(output), "-q", "--workers",
                                  "1", *flags])
        assert args.run(args) == 0
    built = Corpus.load(keyed)
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=plain, all_keys=True).unwrapped
    assert env.corpus.hash == built.hash and len(built) > len(Corpus.load(plain))
    # A corpus already in all keys is not transposed again.
    again = gym.make("gym_launchpad/Launchpad-v0", corpus=keyed, all_keys=True).unwrapped
    assert again.corpus.hash == built.hash


def test_corpus_files_without_keys_still_load_and_a_transposed_one_round_trips(shipped, tmp_path):
    corpus, transposed = shipped
    assert "all_keys" not in Corpus.load(default_corpus_path()).metadata
    loaded = Corpus.load(transposed.save(tmp_path / "keys.npz"))
    assert loaded.hash == transposed.hash and loaded.metadata == transposed.metadata
    assert np.array_equal(loaded.sources, transposed.sources)
    assert "keys: all 12 (407 sources" in describe(loaded) and "keys:" not in describe(corpus)


def test_the_dj_task_and_the_vector_env_take_all_keys_too():
    dj = gym.make("gym_launchpad/LaunchpadDJ-v0", all_keys=True)
    onsets = Corpus.load(onset_corpus_path())
    assert dj.unwrapped.corpus.hash == in_all_keys(onsets).hash and dj.unwrapped.corpus.cells == "onsets"
    assert dj.observation_space.shape[0] > 2 * 24 * 13 + len(dj.unwrapped.corpus) - 1
    vector = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=2, all_keys=True)
    assert vector.corpus.hash == in_all_keys(Corpus.default()).hash
    assert gym.make("gym_launchpad/Launchpad-v0").unwrapped.corpus.hash == Corpus.default().hash  # off by default


@pytest.mark.parametrize("env_id, value", [("Launchpad-v0", "yes"), ("Launchpad-v0", 1), ("Launchpad-v0", None),
                                           ("LaunchpadDJ-v0", "all")])
def test_a_bad_all_keys_is_one_clear_error(env_id, value):
    with pytest.raises(ValueError, match=r"all_keys must be True \(the corpus in all 12 keys\) or False"):
        gym.make(f"gym_launchpad/{env_id}", all_keys=value)
    with pytest.raises(ValueError, match="all_keys must be True"):
        gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=1, all_keys=value)


def test_all_keys_needs_an_octave_of_rows():
    with pytest.raises(ValueError, match="all_keys=True needs at least 12 pitch rows"):
        gym.make("gym_launchpad/LaunchpadToy-v0", all_keys=True)


def test_the_build_help_documents_the_flag(capsys):
    parser = argparse.ArgumentParser()
    cli.add_cli(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["corpus", "build", "--help"])
    assert "--all-keys" in capsys.readouterr().out


@pytest.mark.slow
def test_the_chorale_script_with_all_keys_is_the_env_argument_on_its_plain_build(tmp_path):
    env_vars = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = ROOT / "scripts" / "build_default_corpus.py"
    plain, keyed = tmp_path / "bach10.npz", tmp_path / "bach10_keys.npz"
    for output, flags in ((plain, []), (keyed, ["--all-keys"])):
        subprocess.run([sys.executable, str(script), "--limit", "10", "-o", str(output), *flags], check=True,
                       capture_output=True, env=env_vars)
    env = gym.make("gym_launchpad/Launchpad-v0", corpus=plain, all_keys=True).unwrapped
    assert Corpus.load(keyed).hash == env.corpus.hash
    refused = subprocess.run([sys.executable, str(script), "--all-keys"], capture_output=True, text=True,
                             env=env_vars)
    assert refused.returncode == 2 and "--all-keys needs -o PATH" in refused.stderr
