"""SB3 model files and replay buffers, read and written without unpickling anything a user hands over.

An SB3 ``.zip`` stores some of its entries (the spaces, the policy class, the schedules) as cloudpickle
bytes, and ``DQN.load`` unpickles them: a crafted ``.zip`` runs any code it likes. So:

- a model of a run folder of ``python -m agents train`` (beside its ``config.json`` or in its
  ``checkpoints/``) is loaded with every pickled entry replaced (SB3's ``custom_objects``) by the value its
  preset gives, so nothing in the file is unpickled; an entry the preset cannot give is refused;
- any other ``.zip`` is refused unless the caller trusts it (``--trust-pickle`` on the command line);
- replay buffers are ``.npz`` files of the buffer's arrays, read with ``allow_pickle=False``;
- every file is written under a temporary name and renamed, so a kill mid-write leaves the previous
  checkpoint whole.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from gymnasium import spaces

from agents.dqn.launchpad_dqn import LaunchpadDQN, dqn_kwargs
from agents.dqn.presets import Preset
from agents.dqn.runs import Run, prune_replay_buffers, run_of_model
from gym_launchpad.atomic_file import write_atomically
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.observation import observation_space

#: The command-line flag that lets a foreign ``.zip`` be unpickled.
TRUST_PICKLE_FLAG = "--trust-pickle"

#: Run-time state SB3 pickles into a model during training; a loaded model starts without it (as SB3
#: does when it is given an env), so it is never read from the file.
_RUNTIME_STATE = ("_last_obs", "_last_episode_starts", "_last_original_obs", "ep_info_buffer",
                  "ep_success_buffer", "action_noise")


#: An SB3 model's JSON is a few kB; one declaring more than this is not read.
_MAX_DATA_BYTES = 1 << 24


class ModelFileError(ValueError):
    """A model file, run folder or replay buffer that cannot be read as one; the message names the file."""


class UntrustedModelError(ModelFileError):
    """A model file that would have to be unpickled, and the caller did not say it trusts it."""


def untrusted_message(path) -> str:
    return (f"{path} is not a model of a `python -m agents train` run folder: loading it would unpickle code "
            f"stored in it, which can do anything; pass {TRUST_PICKLE_FLAG} only if you trust whoever made it")


def pickled_entries(path) -> list[str]:
    """The entries of an SB3 ``.zip`` that SB3 would unpickle (read from its JSON, nothing unpickled)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo("data").file_size > _MAX_DATA_BYTES:
                raise ValueError(f"its data entry declares {archive.getinfo('data').file_size} bytes")
            data = json.loads(archive.read("data"))
    except RecursionError:
        raise ModelFileError(f"{path} is not an SB3 model file (its data entry is nested too deeply)") from None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{path} is not an SB3 model file ({type(error).__name__}: {error})") from error
    if not isinstance(data, dict):
        raise ModelFileError(f"{path} is not an SB3 model file (its data entry is not a JSON object)")
    return sorted(key for key, value in data.items() if isinstance(value, dict) and ":serialized:" in value)


def preset_objects(preset: Preset) -> dict:
    """What each pickled entry of a model trained with ``preset`` is, rebuilt from the preset alone."""
    spec = LaunchpadSpec(**{k: preset.env_kwargs[k] for k in ("n_notes", "bar_bits", "low_note")
                            if k in preset.env_kwargs})
    kwargs = dqn_kwargs(preset)
    return {
        "policy_class": kwargs["policy"], "policy_kwargs": kwargs["policy_kwargs"],
        "observation_space": observation_space(spec, preset.obs_mode),
        "action_space": spaces.Discrete(spec.n_actions),
        # SB3's _setup_model rebuilds these three from the plain fields it reads from the file.
        "learning_rate": kwargs["learning_rate"], "lr_schedule": kwargs["learning_rate"], "exploration_schedule": None,
        "train_freq": kwargs["train_freq"], "replay_buffer_class": kwargs["replay_buffer_class"],
        **dict.fromkeys(_RUNTIME_STATE),
    }


def load_model(path, env=None, *, trust_pickle: bool = False) -> LaunchpadDQN:
    """A DQN model file, on the CPU: a run folder's without unpickling, any other only with ``trust_pickle``.

    Raises :class:`UntrustedModelError` for a foreign file without ``trust_pickle``, and for a run's file
    holding a pickled entry its preset does not give (someone put it there); :class:`ModelFileError` for a run's
    file that does not load (damaged, or not a model of that run).
    """
    run = run_of_model(path)
    if run is None:
        if not trust_pickle:
            raise UntrustedModelError(untrusted_message(path))
        return LaunchpadDQN.load(path, env=env, device="cpu")
    known, pickled = _untrusted_entries(run, path, trust_pickle)
    # Only the pickled entries: a plain JSON entry (buffer_size, gamma, ...) is read from the file as SB3 does.
    custom = {key: value for key, value in known.items() if key in pickled}
    try:
        return LaunchpadDQN.load(path, env=env, device="cpu", custom_objects=custom)
    except Exception as error:  # SB3 and torch raise many kinds for a damaged zip or one of another network
        raise ModelFileError(f"{path} does not load as a model of run {run.path} ({type(error).__name__}: "
                             f"{error})") from error


def check_run_models(run_dir) -> list[Path]:
    """The model files of the run folder ``run_dir`` (its final and best models and checkpoints), each checked
    to load without unpickling (:func:`load_model`'s rule, reading only their JSON); one
    :class:`ModelFileError` (an :class:`UntrustedModelError` for a planted pickle) naming the first that would
    not."""
    run = Run(run_dir)
    if not run.config_path.is_file():
        raise ModelFileError(f"{run.path} is not a run folder of `python -m agents train` (no config.json)")
    known = _run_objects(run)
    models = [path for path in (run.final_model, run.best_model) if path.is_file()] + run.checkpoint_models()
    for path in models:
        _untrusted_entries(run, path, trust_pickle=False, known=known)
    return models


def _run_objects(run: Run) -> dict:
    """:func:`preset_objects` of ``run``'s preset; one :class:`ModelFileError` for a config.json that has none."""
    try:
        return preset_objects(run.preset())
    except (OSError, KeyError, TypeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{run.config_path} is not the config.json of a `python -m agents train` run "
                             f"({type(error).__name__}: {error})") from None


def _untrusted_entries(run: Run, path, trust_pickle: bool, known: dict | None = None) -> tuple[dict, list[str]]:
    """What ``run``'s preset gives for every pickled entry (``known``, if already read), and the pickled entries
    of ``path``; refuses a file holding one the preset cannot give unless ``trust_pickle``."""
    known = _run_objects(run) if known is None else known
    pickled = pickled_entries(path)
    unknown = [key for key in pickled if key not in known]
    if unknown and not trust_pickle:
        raise UntrustedModelError(
            f"{path} holds pickled entries ({', '.join(unknown)}) that no model of {run.path} has: loading them "
            f"would run code stored in the file; pass {TRUST_PICKLE_FLAG} only if you trust whoever made it")
    return known, pickled


# --- writing ------------------------------------------------------------------------------------------
def save_model(model, path) -> Path:
    """``model.save`` to ``path`` (``.zip``), atomically."""
    buffer = io.BytesIO()
    model.save(buffer)
    return write_atomically(path, lambda file: file.write(buffer.getvalue()))


def _buffer_arrays(buffer) -> dict[str, np.ndarray]:
    return {name: value for name, value in vars(buffer).items() if isinstance(value, np.ndarray)}


def save_replay_buffer(model, path) -> Path:
    """The model's replay buffer as an ``.npz`` of its arrays and its position, atomically."""
    buffer = model.replay_buffer
    arrays = {**_buffer_arrays(buffer), "pos": np.array(buffer.pos), "full": np.array(buffer.full)}
    return write_atomically(path, lambda file: np.savez(file, **arrays))


def load_replay_buffer(model, path) -> None:
    """Fill ``model``'s replay buffer from :func:`save_replay_buffer`'s file; refuse one of another shape."""
    buffer = model.replay_buffer
    expected = _buffer_arrays(buffer)
    try:
        with np.load(path, allow_pickle=False) as data:
            for name, array in expected.items():
                if name not in data.files:
                    raise ValueError(f"it has no {name!r} array")
                stored = data[name]
                if stored.shape != array.shape or stored.dtype != array.dtype:
                    raise ValueError(f"its {name!r} is {stored.dtype}{list(stored.shape)}, this run's buffer "
                                     f"holds {array.dtype}{list(array.shape)}")
                array[...] = stored
            pos, full = int(data["pos"]), bool(data["full"])
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"replay buffer {path} cannot be used: {error}") from error
    if not 0 <= pos < buffer.buffer_size:
        raise ModelFileError(f"replay buffer {path} cannot be used: position {pos} outside 0..{buffer.buffer_size - 1}")
    buffer.pos, buffer.full = pos, full


def save_checkpoint(run: Run, model) -> Path:
    """The model, then its replay buffer, as a checkpoint of ``run`` that ``--resume`` picks up; the previous
    replay buffer is deleted only once the new one is whole."""
    path = save_model(model, run.checkpoint_model(model.num_timesteps))
    save_replay_buffer(model, run.replay_buffer(model.num_timesteps))
    prune_replay_buffers(run.checkpoints)
    return path
