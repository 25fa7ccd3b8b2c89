"""Every network this project ships or trains, in one file format: ``NAME.safetensors`` + ``NAME.json``.

The ``.safetensors`` file holds plain float tensors (no pickle: loading runs no code); the ``.json`` beside it
describes them (``format_version``, what made them, what they play). :func:`write` writes both atomically
(each under a unique temporary name in the target folder, then renamed: a reader sees the old file or the
whole new one, and two writers of one path never mix their bytes). :func:`read` reads both back and refuses,
with one :class:`WeightsError` naming the file and what is wrong, anything that is not what :func:`write`
wrote: a missing, truncated or altered file, a JSON that is no object or is nested without end, a format
version that is not this code's, a tensor of an integer dtype, NaN or infinite values, and, when the caller
says which tensors it needs, a missing, extra or misshapen one.

The networks built from them live with their kind: the DQN Q-networks (:mod:`agents.dqn.export`, the composer
and the explorer) and the dj agent's MLP (:mod:`agents.imitation.dj_policy`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gym_launchpad.atomic_file import write_atomically

#: Bumped when the JSON layout changes.
FORMAT_VERSION = 1
#: Where the repo's shipped networks are (the registry, :mod:`agents.policies`, names each).
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


class WeightsError(ValueError):
    """A weights file (or its JSON) that cannot be read, or does not fit what the caller needs."""


class WeightsMismatchError(WeightsError):
    """Whole, readable weights made for another launchpad spec, corpus or observation than the one asked for."""


def write(path, tensors: Mapping[str, np.ndarray], description: Mapping) -> Path:
    """Write ``tensors`` (name -> float array) to ``path`` (``.safetensors``) and ``description`` (with
    ``format_version`` added) to the ``.json`` beside it, each atomically
    (:func:`gym_launchpad.atomic_file.write_atomically`); the JSON last, so a reader that
    finds it finds its tensors."""
    from safetensors.numpy import save

    path = Path(path)
    data = save({name: np.array(value, dtype=np.float32, order="C") for name, value in tensors.items()})
    document = json.dumps({**description, "format_version": FORMAT_VERSION}, indent=2, sort_keys=True) + "\n"
    write_atomically(path, data)
    write_atomically(path.with_suffix(".json"), document)
    return path


def read(path, expected: Mapping[str, tuple[int, ...]] | None = None, *,
         retrain: str = "") -> tuple[dict[str, np.ndarray], dict]:
    """The tensors (name -> float32 array) and description of the weights at ``path``; ``expected`` (name ->
    shape), when given, is exactly the tensors the caller's network needs. ``retrain`` is the command that makes
    such weights, named in every refusal."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    meta = path.with_suffix(".json")
    hint = f": {retrain}" if retrain else ""
    if not path.is_file() or not meta.is_file():
        raise WeightsError(f"weights need both {path} and {meta.name} beside it, and "
                           f"{'neither is' if not path.is_file() and not meta.is_file() else 'one is not'} there{hint}")
    description = read_description(meta, hint)
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"{path} is damaged or truncated, not a whole safetensors file ({error}){hint}") from error
    arrays = {}
    for name, tensor in tensors.items():
        if not np.issubdtype(tensor.dtype, np.floating):
            raise WeightsError(f"{path}: tensor {name} is {tensor.dtype}, not floating point: weights are floats{hint}")
        with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, refused below
            arrays[name] = tensor.astype(np.float32, copy=False)
        if not np.isfinite(arrays[name]).all():
            raise WeightsError(f"{path}: tensor {name} holds NaN or infinite values (or values beyond float32); "
                               f"these weights cannot act (the training diverged, or the file was altered){hint}")
    if expected is not None:
        missing, extra = sorted(expected.keys() - arrays.keys()), sorted(arrays.keys() - expected.keys())
        if missing or extra:
            parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
            raise WeightsError(f"{path} does not hold the network its JSON describes: "
                               + "; ".join(part for part in parts if part))
        for name, shape in expected.items():
            if tuple(arrays[name].shape) != tuple(shape):
                raise WeightsError(f"{path}: tensor {name} has shape {list(arrays[name].shape)}, the network its "
                                   f"JSON describes needs {list(shape)}")
    return arrays, description


def read_description(meta: Path, hint: str = "") -> dict:
    """The JSON description at ``meta``: an object of this code's format version, or one :class:`WeightsError`."""
    try:
        description = json.loads(meta.read_text())
    except RecursionError:
        raise WeightsError(f"{meta} is nested too deeply to be a weights description{hint}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise WeightsError(f"{meta} is not readable JSON ({error}){hint}") from error
    if not isinstance(description, dict):
        raise WeightsError(f"{meta} is not a weights description: it holds a JSON {type(description).__name__}, "
                           f"not an object{hint}")
    version = description.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise WeightsError(f"{meta}: format_version is {version!r}, a JSON {type(version).__name__}, not a version "
                           f"(a whole number; this code reads {FORMAT_VERSION}){hint}")
    if version != FORMAT_VERSION:
        raise WeightsMismatchError(f"{meta} has format {version}, this code reads {FORMAT_VERSION}{hint}")
    return description
