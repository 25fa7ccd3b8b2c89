"""gym_launchpad: compose music by playing a virtual Launchpad, rewarded by real music.

Importing the package registers ``gym_launchpad/Launchpad-v0``, ``gym_launchpad/LaunchpadToy-v0`` and
``gym_launchpad/LaunchpadDJ-v0`` (struck notes that keep moving; ``gym.make_vec`` steps it in a
``SyncVectorEnv``).
"""

from gymnasium.envs.registration import register

from gym_launchpad.corpus import Corpus, CorpusError, CorpusSpecError
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState

__version__ = "0.1.0"

#: The paper's section 5.2 toy: one pitch, bars of 4 steps, and a corpus of the single bar [1, 0, 1, 1].
TOY_TARGET_BAR = [[[1, 0, 1, 1]]]

register(
    id="gym_launchpad/Launchpad-v0",
    entry_point="gym_launchpad.envs:LaunchpadEnv",
    vector_entry_point="gym_launchpad.envs.vector:LaunchpadVectorEnv",
    max_episode_steps=1000,
)

register(
    id="gym_launchpad/LaunchpadToy-v0",
    entry_point="gym_launchpad.envs:LaunchpadEnv",
    vector_entry_point="gym_launchpad.envs.vector:LaunchpadVectorEnv",
    max_episode_steps=100,
    kwargs={"n_notes": 1, "bar_bits": 2, "low_note": 60, "corpus": TOY_TARGET_BAR, "init": "random"},
)

register(
    id="gym_launchpad/LaunchpadDJ-v0",
    entry_point="gym_launchpad.envs:LaunchpadDJEnv",
    # The env ends a song itself, at the bar line of bar song_bars (300): its steps are presses, not bars.
    kwargs={"presses_per_bar": 24, "song_bars": 300},
)

__all__ = ["Corpus", "CorpusError", "CorpusSpecError", "LaunchpadSpec", "LaunchpadState", "__version__"]
