"""The package on its own: what an RL researcher gets from `pip install gym_launchpad`."""

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

USE_IT = """
import sys, gymnasium as gym, gym_launchpad
env = gym.make("gym_launchpad/Launchpad-v0")
obs, info = env.reset(seed=0)
obs, reward, *_ = env.step(0)
heavy = sorted(m for m in ("music21", "torch", "stable_baselines3", "symusic", "pygame", "rtmidi") if m in sys.modules)
print("ok", len(env.unwrapped.corpus), reward, heavy)
"""


def test_import_pulls_in_no_optional_dependency():
    out = subprocess.run([sys.executable, "-c", USE_IT], capture_output=True, text=True, check=True).stdout
    assert out.startswith("ok") and out.rstrip().endswith("[]"), out


@pytest.mark.slow
def test_installs_alone_in_a_fresh_venv_and_makes_the_env(tmp_path):
    """A wheel built from the checkout, in a venv with only its declared dependencies."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(ROOT)], check=True, timeout=600)
    result = subprocess.run([python, "-c", USE_IT], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok") and result.stdout.rstrip().endswith("[]")
    installed = subprocess.run([python, "-m", "pip", "list"], capture_output=True, text=True).stdout.lower()
    assert "music21" not in installed and "torch" not in installed
