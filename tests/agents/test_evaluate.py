import json

import matplotlib.image
import numpy as np
import pytest

from agents import evaluate, music_metrics, train
from agents.evaluate import build_contender, ceiling_fraction, corpus_metrics, parse_contender, rollout
from agents.presets import get_preset
from gym_launchpad import Corpus, LaunchpadSpec

SPEC = LaunchpadSpec()


def _bar(pitches, steps=range(64)):
    """A bar of the default spec with the MIDI ``pitches`` sounding on ``steps``."""
    roll = np.zeros((SPEC.n_notes, SPEC.steps), dtype=bool)
    for p in pitches:
        roll[p - SPEC.low_note, list(steps)] = True
    return SPEC.roll_to_words(roll)


def test_music_metrics_on_known_bars():
    c_major = np.stack([_bar([60, 64, 67], range(0, 64, 16))])  # C E G on the four beats
    assert music_metrics.notes_per_bar(c_major) == 12
    assert music_metrics.in_scale_ratio(SPEC, c_major) == (1.0, "C major")
    assert music_metrics.pitch_class_entropy(SPEC, c_major) == pytest.approx(np.log2(3))
    chromatic = np.stack([_bar(range(59, 71), [0])])
    assert music_metrics.pitch_class_entropy(SPEC, chromatic) == pytest.approx(np.log2(12))
    assert music_metrics.in_scale_ratio(SPEC, chromatic)[0] == pytest.approx(7 / 12)
    assert music_metrics.in_scale_ratio(SPEC, np.zeros((1, 24), np.uint64)) == (1.0, "none")
    a_minor_chord = np.stack([_bar([57, 60, 64, 69])])
    assert music_metrics.in_scale_ratio(SPEC, a_minor_chord)[0] == 1.0
    moves = np.stack([_bar([60], [0]), _bar([60], [0, 1]), _bar([62], [0])])
    assert music_metrics.bar_to_bar_change(moves) == pytest.approx((1 + 3) / 2)
    assert music_metrics.distinct([3, 3, 5]) == 2


def test_ceiling_fraction_runs_from_silence_to_the_ceiling():
    assert ceiling_fraction(50, 10, 50) == 0.0
    assert ceiling_fraction(10, 10, 50) == 1.0
    assert ceiling_fraction(90, 10, 50) == -1.0
    assert ceiling_fraction(0, 0, 0) == 1.0


def test_corpus_metrics_use_consecutive_bars_of_one_source():
    bars = np.stack([_bar([60], [0]), _bar([60], [0, 1, 2]), _bar([62], range(20))])
    corpus = Corpus.from_bars(SPEC, bars, sources=np.array(["a", "b"]), source_index=np.array([0, 0, 1]),
                              bar_number=np.array([0, 1, 0]))
    metrics = corpus_metrics(corpus)
    assert metrics["bar_to_bar_change"] == 2  # only bars 0 -> 1 of source "a" follow each other
    assert metrics["notes_per_bar"] == pytest.approx((1 + 3 + 20) / 3)
    assert np.isnan(metrics["mean_reward_per_step"])


def test_parse_contender(tmp_path):
    assert parse_contender("greedy").kind == "baseline"
    assert parse_contender("me=noop").label == "me"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "q_net.safetensors").write_bytes(b"")
    contender = parse_contender(str(tmp_path / "run"))
    assert (contender.label, contender.kind) == ("run", "pretrained")
    with pytest.raises(ValueError, match="neither a baseline"):
        parse_contender("smart")


@pytest.mark.slow
def test_evaluate_writes_table_json_and_figures(tmp_path, synthetic_corpus_path, capsys):
    run = tmp_path / "run"
    assert train.main(["--preset", "linear", "--timesteps", "200", "--logdir", str(run), "--corpus",
                       synthetic_corpus_path, "--set", "buffer_size=1000", "--set", "learning_starts=50",
                       "--set", "episode_steps=40", "--set", "eval_freq=100", "--set", "eval_episodes=1",
                       "--checkpoint-freq", "100", "--no-progress-bar"]) == 0
    out = tmp_path / "out"
    argv = [str(run), "random", "noop", "greedy", "--corpus", synthetic_corpus_path, "--episodes", "2", "--steps",
            "40", "--out", str(out), "--runs", str(run)]
    assert evaluate.main(argv) == 0
    printed = capsys.readouterr().out
    assert "| run |" in printed and "| greedy |" in printed and "| corpus |" in printed
    assert (out / "results.md").read_text() in printed
    # The runs table says how the run departs from its preset; SB3 last logged after 4 episodes of 40.
    assert "| run | linear | buffer_size=1000, episode_steps=40, learning_starts=50 | 160 |" in printed
    results = json.loads((out / "results.json").read_text())["results"]
    assert set(results) == {"run", "random", "noop", "greedy", "corpus"}
    assert results["greedy"]["mean_reward_per_step"] >= results["noop"]["mean_reward_per_step"]
    assert results["noop"]["bar_to_bar_change"] == 0
    for name in ("fig5_training_curves.png", "fig6_bars_over_training.png", "fig7_random_state.png"):
        image = matplotlib.image.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image[..., :3].std() > 0.05


def test_every_contender_plays_the_evaluations_episode_length(tmp_path, synthetic_corpus_path):
    run = tmp_path / "run"
    assert train.main(["--preset", "linear", "--timesteps", "60", "--logdir", str(run), "--corpus",
                       synthetic_corpus_path, "--set", "buffer_size=1000", "--set", "learning_starts=50",
                       "--set", "episode_steps=20", "--set", "eval_freq=1000", "--no-progress-bar"]) == 0
    corpus = get_preset("mlp").load_corpus(synthetic_corpus_path)
    for text in (str(run / "final_model.zip"), str(run), "noop"):
        policy, env = build_contender(parse_contender(text), corpus, seed=0, steps=70)
        episode = rollout(env, policy, seed=0)
        assert len(episode.rewards) == 70, text  # not the 20 bars the run trained on


def test_evaluate_refuses_unknown_policies(capsys):
    assert evaluate.main(["clever"]) == 2
    assert "neither a baseline" in capsys.readouterr().out
