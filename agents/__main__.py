"""``python -m agents COMMAND [ARGS]``: one module per command, imported only when it runs.

Every command reads its arguments the same way (:mod:`agents.arguments`): ``python -m agents COMMAND --help``
lists each option with its default and meaning.
"""

from __future__ import annotations

import importlib
import sys

from gymnasium.error import DependencyNotInstalled

#: command -> (module, one-line help). Each module has ``main(argv: list[str]) -> int`` (``module:function`` names
#: another function of the module).
COMMANDS = {
    "demo": ("agents.eval.demo", "the README's main job: baselines, shipped agents, the ceiling"),
    "train": ("agents.dqn.train", "train SB3 DQN with a preset (linear, mlp, rowwise)"),
    "export": ("agents.dqn.export", "export a training run's Q-network as safetensors weights + JSON"),
    "imitate": ("agents.imitation.composer", "train the composer (the pretrained agent): imitate the navigator"),
    "demos": ("agents.imitation.composer:write_demonstrations",
              "the navigator's walks as a Minari dataset (offline RL)"),
    "dj-train": ("agents.imitation.dj", "train the learned dj agent of LaunchpadDJ-v0 (imitating the follower)"),
    "explore": ("agents.explorer.train", "train the explorer: Go-Explore, then DQN on its own best trajectories"),
    "evaluate": ("agents.eval.evaluate", "evaluate policies (baselines, planners, learned): a table, JSON, figures"),
    "compare": ("agents.eval.compare", "baselines, planners, learned agents on 20 seeded starts; the barrier figure"),
    "front": ("agents.eval.front", "the reward-vs-variety front of every policy on both tasks, and its figure"),
    "jam": ("agents.eval.jam", "an agent's recovery from a person's presses and new keys, on held-out starts"),
    "songs": ("agents.eval.songs", "write an agent's seeded songs as MIDI, read them back, measure them"),
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
        print("usage: python -m agents COMMAND [ARGS]   (python -m agents COMMAND --help: its options)\n\n"
              "commands:\n" + "\n".join(lines))
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nerror: unknown command {argv[0]!r}", file=sys.stderr)
            return 2
        return 0
    return run_command(argv[0], argv[1:])


def run_command(command: str, argv: list[str], prog: str | None = None) -> int:
    """Run ``command`` (one of :data:`COMMANDS`) with ``argv``; a missing [agents] dependency is one line."""
    name, _, function = COMMANDS[command][0].partition(":")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if missing not in AGENTS_EXTRA:
            raise
        raise DependencyNotInstalled(f"python -m agents {command} needs {missing}, which is not installed: "
                                     "pip install gym_launchpad[agents]") from error
    return int(getattr(module, function or "main")(argv) or 0)


def run_old_path(old: str, command: str, defaults: tuple[str, ...] = ()) -> int:
    """``python -m agents.OLD`` of an earlier release: says what it is now called, then runs it (``defaults``
    first: the old command's own defaults, which the user's arguments override)."""
    print(f"note: python -m {old} is now `python -m agents {command}`; the old name goes in the next release",
          file=sys.stderr)
    return run_command(command, [*defaults, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
