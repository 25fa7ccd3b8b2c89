import json

import matplotlib.image
import pytest

from agents.dqn import train
from agents.eval import evaluate


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
    assert "| run |" in printed and "| greedy | baseline |" in printed and "| corpus | — |" in printed
    assert "| run | learned |" in printed
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


def test_evaluate_refuses_unknown_policies(capsys):
    assert evaluate.main(["clever"]) == 2
    assert "is neither a registered policy (random, noop, greedy, beam" in capsys.readouterr().out


def test_planners_play_in_the_evaluation_labelled_as_planners(synthetic_corpus_path, capsys):
    assert evaluate.main(["navigator", "wide=beam:width=4,depth=1", "noop", "--corpus", synthetic_corpus_path,
                          "--episodes", "1", "--steps", "30"]) == 0
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in capsys.readouterr().out.splitlines() if line.startswith("| ")}
    assert rows == {"policy": "kind", "navigator": "planner", "wide": "planner", "noop": "baseline", "corpus": "—"}


def test_evaluate_names_the_command_that_trains_missing_shipped_weights(unship, capsys):
    unship("explorer")
    assert evaluate.main(["explorer"]) == 2
    assert "train them with `python -m x --out y`" in capsys.readouterr().out


def test_each_task_gets_its_own_table_with_a_legend_and_struck_notes(capsys):
    assert evaluate.main(["noop", "hopper", "--episodes", "1", "--steps", "5"]) == 0
    out = capsys.readouterr().out
    launchpad, dj = out[out.index("Launchpad-v0:\n"):out.index("LaunchpadDJ-v0:\n")], out[out.index("LaunchpadDJ-v0:"):]
    assert "| noop | baseline | 0 |" in launchpad and "final dist." in launchpad and "heard change" not in launchpad
    assert "| hopper | planner | 0 |" in dj and "heard change" in dj and "final dist." not in dj
    for table in (launchpad, dj):
        assert "- notes/bar: notes struck a bar" in table and "- eps: " in table and "| corpus |" in table
    music = out[out.index("LaunchpadDJ-v0, the music:"):]
    assert "| hopper (planner) |" in music and "| 60 chorales (10th-90th) |" in music and "- polyphony: " in music
