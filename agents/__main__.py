"""``python -m agents COMMAND [ARGS]``: one module per command, imported only when it runs."""

from __future__ import annotations

import importlib
import sys

from gymnasium.error import DependencyNotInstalled

#: command -> (module, one-line help). Each module has ``main(argv: list[str]) -> int``.
COMMANDS = {
    "demo": ("agents.demo", "the README's main job: baselines, the pretrained agent and the ceiling, shipped corpus"),
    "train": ("agents.train", "train SB3 DQN with a preset (linear, mlp, rowwise)"),
    "imitate": ("agents.composer", "train the composer (the pretrained agent): imitate the navigator planner"),
    "evaluate": ("agents.evaluate", "evaluate policies (baselines, planners, learned); write a table, JSON, figures"),
    "explore": ("agents.explorer.train", "train the explorer: Go-Explore, then DQN on its own best trajectories"),
    "dj-train": ("agents.dj.train", "train the learned dj agent of LaunchpadDJ-v0 (imitating the hopper planner)"),
    "front": ("agents.front", "the reward-vs-variety front of every policy on both tasks, and its figure"),
    "compare": ("agents.compare", "baselines, planners and learned agents on 20 seeded starts; the barrier figure"),
    "toy-study": ("agents.toy.study", "tabular Q-learning and MCMC exploration on LaunchpadToy-v0 (paper 5.2)"),
    "play": ("agents.play.cli", "the interactive launchpad: play live with the agent, or record headless"),
}

#: The modules of the [agents] extra (setup.cfg) that the commands import.
AGENTS_EXTRA = ("torch", "stable_baselines3", "safetensors", "tensorboard", "matplotlib")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
        print("usage: python -m agents COMMAND [ARGS]\n\ncommands:\n" + "\n".join(lines))
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nerror: unknown command {argv[0]!r}", file=sys.stderr)
            return 2
        return 0
    try:
        module = importlib.import_module(COMMANDS[argv[0]][0])
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in AGENTS_EXTRA:
            raise
        raise DependencyNotInstalled(f"python -m agents {argv[0]} needs {missing}, which is not installed: "
                                     "pip install gym_launchpad[agents]") from error
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
