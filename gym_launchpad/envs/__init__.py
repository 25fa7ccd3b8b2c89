from gym_launchpad.envs.dj_env import LaunchpadDJEnv
from gym_launchpad.envs.launchpad_env import LaunchpadEnv
from gym_launchpad.envs.vector import LaunchpadVectorEnv

__all__ = ["LaunchpadDJEnv", "LaunchpadEnv", "LaunchpadVectorEnv"]
