from gym_launchpad.envs.launchpad_env import LaunchpadEnv

__all__ = ["LaunchpadEnv"]
