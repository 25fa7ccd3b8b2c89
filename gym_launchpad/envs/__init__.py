from gym_launchpad.envs.launchpad_env import LaunchpadEnv
from gym_launchpad.envs.vector import LaunchpadVectorEnv

__all__ = ["LaunchpadEnv", "LaunchpadVectorEnv"]
