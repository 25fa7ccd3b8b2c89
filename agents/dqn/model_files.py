"""SB3 model files and replay buffers, read and written without unpickling anything a user hands over.

An SB3 ``.zip`` stores some of its entries (the spaces, the policy class, the schedules) as cloudpickle
bytes, and ``DQN.load`` unpickles them: a crafted ``.zip`` runs any code it likes. So:

- a model of a known preset (a run folder's, :meth:`agents.dqn.runs.Run.load_model`) is loaded with every
  pickled entry replaced (SB3's ``custom_objects``) by the value the preset gives, so nothing in the file is
  unpickled; an entry the preset cannot give is refused;
- any other ``.zip`` is refused unless the caller trusts it (``--trust-pickle`` on the command line);
- replay buffers are ``.npz`` files of the buffer's arrays, read with ``allow_pickle=False``;
- every file is written under a temporary name and renamed, so a kill mid-write leaves the previous
  checkpoint whole.

Which file is which (a run's checkpoints, best and final models) is :mod:`agents.dqn.runs`'s business.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from pathlib import Path

import numpy as np
from gymnasium import spaces

from agents.dqn.launchpad_dqn import LaunchpadDQN, dqn_kwargs
from agents.dqn.presets import Preset
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


def load_model(path, env=None, *, trust_pickle: bool = False, preset: Preset | None = None,
               owner: str | None = None) -> LaunchpadDQN:
    """A DQN model file, on the CPU: one trained with ``preset`` without unpickling, any other only with
    ``trust_pickle``. ``owner`` names where the model comes from in messages (default: its preset).

    Raises :class:`UntrustedModelError` for a foreign file (no ``preset``) without ``trust_pickle``, and for a
    file holding a pickled entry ``preset`` does not give (someone put it there); :class:`ModelFileError` for
    one that does not load (damaged, or not a model of that preset).
    """
    if preset is None:
        if not trust_pickle:
            raise UntrustedModelError(untrusted_message(path))
        return LaunchpadDQN.load(path, env=env, device="cpu")
    owner = owner or f"preset {preset.network}"
    known = preset_objects(preset)
    pickled = refuse_unknown_entries(path, known, owner, trust_pickle)
    # Only the pickled entries: a plain JSON entry (buffer_size, gamma, ...) is read from the file as SB3 does.
    custom = {key: value for key, value in known.items() if key in pickled}
    try:
        return LaunchpadDQN.load(path, env=env, device="cpu", custom_objects=custom)
    except Exception as error:  # SB3 and torch raise many kinds for a damaged zip or one of another network
        raise ModelFileError(f"{path} does not load as a model of {owner} ({type(error).__name__}: "
                             f"{error})") from error


def refuse_unknown_entries(path, known: dict, owner: str, trust_pickle: bool = False) -> list[str]:
    """The pickled entries of ``path``; refuses a file holding one that ``known`` (:func:`preset_objects`) does not
    give unless ``trust_pickle``."""
    pickled = pickled_entries(path)
    unknown = [key for key in pickled if key not in known]
    if unknown and not trust_pickle:
        raise UntrustedModelError(
            f"{path} holds pickled entries ({', '.join(unknown)}) that no model of {owner} has: loading them "
            f"would run code stored in the file; pass {TRUST_PICKLE_FLAG} only if you trust whoever made it")
    return pickled


# --- writing ------------------------------------------------------------------------------------------
def save_model(model, path) -> Path:
    """``model.save`` to ``path`` (``.zip``), atomically."""
    buffer = io.BytesIO()
    model.save(buffer)
    return write_atomically(path, buffer.getvalue())


def _buffer_arrays(buffer) -> dict[str, np.ndarray]:
    return {name: value for name, value in vars(buffer).items() if isinstance(value, np.ndarray)}


def save_replay_buffer(model, path) -> Path:
    """The model's replay buffer as an ``.npz`` of its arrays and its position, atomically."""
    buffer = model.replay_buffer
    arrays = {**_buffer_arrays(buffer), "pos": np.array(buffer.pos), "full": np.array(buffer.full)}
    return write_atomically(path, functools.partial(np.savez, **arrays))  # np.savez(file, **arrays)


def save_checkpoint(model, model_path, buffer_path) -> Path:
    """The model to ``model_path``, then its replay buffer to ``buffer_path`` (each atomically): a kill between
    the two leaves a model without its buffer, never a buffer newer than its model. Returns ``model_path``."""
    save_model(model, model_path)
    save_replay_buffer(model, buffer_path)
    return Path(model_path)


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
