"""The package on its own: what an RL researcher gets from `pip install gym_launchpad`."""

import subprocess
import sys
import venv
import zipfile
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


KERNEL = """
import gymnasium as gym, numpy as np, gym_launchpad
envs = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=4)
envs.reset(seed=0)
envs.step(np.arange(4))
print(envs.unwrapped.kernel)
"""


@pytest.mark.slow
def test_wheel_installs_alone_in_a_fresh_venv_and_runs_the_compiled_kernel(tmp_path):
    """The wheel built from the checkout, with no extras, in a venv that sees no other site-packages:
    the env works, nothing optional is imported, and the compiled kernel (numba, a dependency) runs."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", wheels, str(ROOT)], check=True, timeout=300)
    (wheel,) = wheels.glob("gym_launchpad-*.whl")
    assert "gym_launchpad/py.typed" in zipfile.ZipFile(wheel).namelist()  # type checkers read its annotations
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)  # no system site-packages: only what the wheel declares
    python = target / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=600)
    result = subprocess.run([python, "-c", USE_IT], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok") and result.stdout.rstrip().endswith("[]")
    installed = subprocess.run([python, "-m", "pip", "list"], capture_output=True, text=True).stdout.lower()
    assert "music21" not in installed and "torch" not in installed and "symusic" not in installed
    kernel = subprocess.run([python, "-c", KERNEL], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert kernel.returncode == 0, kernel.stderr
    assert kernel.stdout.split() == ["numba"]
