"""The run folder of ``python -m agents train``: what it holds, what its files are called, and the one place that
writes and reads them.

A run folder holds ``config.json`` (the arguments and the preset), ``tb/`` (TensorBoard and SB3's
``progress.csv``), ``checkpoints/`` (``dqn_<steps>_steps.zip`` every ``--checkpoint-freq`` steps and the
latest ``dqn_replay_buffer_<steps>_steps.npz``, names :func:`checkpoint_steps` reads), ``best_model.zip``
(best evaluation), ``final_model.zip``, and ``q_net.safetensors`` + ``q_net.json`` (the weights alone,
:mod:`agents.dqn.export`). :class:`Run` saves and loads its models through :mod:`agents.dqn.model_files`
(loaded without unpickling, with the entries its preset gives), every file under a temporary name renamed
when whole, so a file with its final name is complete.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from agents.dqn import model_files
from agents.dqn.model_files import ModelFileError
from agents.dqn.presets import Preset
from gym_launchpad.atomic_file import remove_abandoned, write_atomically

#: SB3's checkpoint name prefix for every model and replay buffer in ``checkpoints/``.
CHECKPOINT_PREFIX = "dqn"
_STEPS = re.compile(r"_(\d+)_steps\.\w+$")


def checkpoint_steps(path) -> int:
    """The step count in a checkpoint's file name (``dqn_300_steps.zip`` -> 300); -1 for any other name."""
    match = _STEPS.search(Path(path).name)
    return int(match.group(1)) if match else -1


class Run:
    """One run folder, by its path; nothing is read or written until asked."""

    def __init__(self, path):
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.tb = self.path / "tb"
        self.progress_csv = self.tb / "progress.csv"
        self.checkpoints = self.path / "checkpoints"
        self.best_model = self.path / "best_model.zip"
        self.final_model = self.path / "final_model.zip"
        self.exported_weights = self.path / "q_net.safetensors"

    @property
    def name(self) -> str:
        return self.path.name

    # --- config.json ----------------------------------------------------------------------------------
    def write_config(self, config: dict) -> None:
        """Create the folder and write ``config`` (:func:`run_config`), atomically as every file of a run."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_atomically(self.config_path, json.dumps(config, indent=2, sort_keys=True) + "\n")

    def config(self) -> dict:
        """``config.json``: one :class:`~agents.dqn.model_files.ModelFileError` naming it for a file that is not
        one (not JSON, nested too deeply, or without the ``args`` and ``preset`` objects)."""
        try:
            config = json.loads(self.config_path.read_text())
        except (OSError, ValueError, RecursionError) as error:
            raise self._not_a_config(error) from None
        if not isinstance(config, dict):
            raise self._not_a_config(f"it holds a JSON {type(config).__name__}, not an object")
        for key in ("args", "preset"):
            if not isinstance(config.get(key), dict):
                raise self._not_a_config(f"it has no {key!r} object")
        return config

    def preset(self) -> Preset:
        """The preset the run trained with; one :class:`~agents.dqn.model_files.ModelFileError` for a
        ``config.json`` whose preset does not describe a model this code builds."""
        fields = self.config()["preset"]
        try:
            preset = Preset(**fields)
            model_files.preset_objects(preset)  # everything a model of this run is loaded with
        except (KeyError, TypeError, ValueError, RecursionError) as error:
            raise self._not_a_config(error) from None
        return preset

    def _not_a_config(self, why) -> ModelFileError:
        if isinstance(why, BaseException):
            why = f"{type(why).__name__}: {why}"
        return ModelFileError(f"{self.config_path} is not the config.json of a `python -m agents train` run ({why})")

    # --- file names -----------------------------------------------------------------------------------
    def checkpoint_models(self) -> list[Path]:
        """The checkpoint models, oldest first."""
        return sorted(self.checkpoints.glob(f"{CHECKPOINT_PREFIX}_*_steps.zip"), key=checkpoint_steps)

    def checkpoint_model(self, steps: int) -> Path:
        return self.checkpoints / f"{CHECKPOINT_PREFIX}_{steps}_steps.zip"

    def replay_buffer(self, steps: int) -> Path:
        return self.checkpoints / f"{CHECKPOINT_PREFIX}_replay_buffer_{steps}_steps.npz"

    def models(self) -> list[Path]:
        """Its model files that exist: the final and best models, then the checkpoints oldest first."""
        return [path for path in (self.final_model, self.best_model) if path.is_file()] + self.checkpoint_models()

    # --- writing --------------------------------------------------------------------------------------
    def save_checkpoint(self, model) -> Path:
        """The model, then its replay buffer, as a checkpoint that ``--resume`` picks up; the previous replay
        buffer is deleted only once the new one is whole."""
        steps = model.num_timesteps
        path = model_files.save_checkpoint(model, self.checkpoint_model(steps), self.replay_buffer(steps))
        prune_replay_buffers(self.checkpoints)
        return path

    def save_best(self, model) -> Path:
        return model_files.save_model(model, self.best_model)

    def save_final(self, model) -> Path:
        return model_files.save_model(model, self.final_model)

    # --- reading --------------------------------------------------------------------------------------
    def load_model(self, path, env=None, *, trust_pickle: bool = False):
        """A model file of this run, on the CPU, without unpickling: every pickled entry is the value this run's
        preset gives (:func:`agents.dqn.model_files.load_model`)."""
        return model_files.load_model(path, env, trust_pickle=trust_pickle, preset=self.preset(),
                                      owner=f"run {self.path}")

    def check_models(self) -> list[Path]:
        """Its model files (:meth:`models`), each checked to load without unpickling (reading only their JSON);
        one :class:`~agents.dqn.model_files.ModelFileError` (an
        :class:`~agents.dqn.model_files.UntrustedModelError` for a planted pickle) naming the first that would
        not."""
        if not self.config_path.is_file():
            raise ModelFileError(f"{self.path} is not a run folder of `python -m agents train` (no config.json)")
        known = model_files.preset_objects(self.preset())
        models = self.models()
        for path in models:
            model_files.refuse_unknown_entries(path, known, f"run {self.path}")
        return models

    def resume_point(self, config: dict) -> tuple[Path, Path | None]:
        """(checkpoint, its replay buffer or None): the newest checkpoint that has its replay buffer, else the
        newest checkpoint; checking the run was made with the settings of ``config``, refusals exit with a
        message saying what differs."""
        if not self.config_path.is_file():
            raise SystemExit(f"--resume: {self.path} has no config.json; start the run without --resume")
        saved = self.config()
        # Through Preset, so fields added since the run started compare at their defaults.
        if self.preset() != Preset(**config["preset"]) or saved["args"].get("corpus") != config["args"]["corpus"]:
            raise SystemExit(f"--resume: {self.path} was trained with preset {saved.get('preset_name')} "
                             f"{saved['preset']} on corpus {saved['args'].get('corpus')}; pass the same --preset, "
                             "--set and --corpus")
        models = self.checkpoint_models()
        if not models:
            raise SystemExit(f"--resume: no checkpoint in {self.checkpoints}")
        # A kill between a model and its buffer leaves the newest model without one; the previous buffer is
        # kept until the next one is whole, so the checkpoint before it resumes with its buffer.
        for model in reversed(models):
            buffer = self.replay_buffer(checkpoint_steps(model))
            if buffer.is_file():
                return model, buffer
        return models[-1], None

    def resume(self, config: dict, env):
        """(model, its file, its replay buffer's file or None): :meth:`resume_point` loaded, the replay buffer
        filled from its file."""
        model_path, buffer_path = self.resume_point(config)
        model = self.load_model(model_path, env)
        if buffer_path is not None:
            model_files.load_replay_buffer(model, buffer_path)
        return model, model_path, buffer_path


def run_config(args: dict, preset_name: str, preset: Preset) -> dict:
    """What ``config.json`` holds: the command's arguments, the preset's name and every preset field."""
    return {"args": args, "preset_name": preset_name, "preset": preset.as_dict()}


def run_of_model(model_path) -> Run | None:
    """The run a model file belongs to, if any (models sit in the run folder or in its ``checkpoints/``)."""
    model_path = Path(model_path)
    for folder in (model_path.parent, model_path.parent.parent):
        if Run(folder).config_path.is_file():
            return Run(folder)
    return None


def load_model(path, env=None, *, trust_pickle: bool = False):
    """A DQN model file, on the CPU: a run folder's without unpickling (:meth:`Run.load_model`), any other only
    with ``trust_pickle``.

    Raises :class:`~agents.dqn.model_files.UntrustedModelError` for a foreign file without ``trust_pickle``, and
    for a run's file holding a pickled entry its preset does not give (someone put it there);
    :class:`~agents.dqn.model_files.ModelFileError` for a run's file that does not load (damaged, or not a model
    of that run) or a run whose config.json is not one.
    """
    run = run_of_model(path)
    if run is None:
        return model_files.load_model(path, env, trust_pickle=trust_pickle)
    return run.load_model(path, env, trust_pickle=trust_pickle)


def check_run_models(run_dir) -> list[Path]:
    """:meth:`Run.check_models` of the run folder ``run_dir``."""
    return Run(run_dir).check_models()


def prune_replay_buffers(folder) -> None:
    """Delete all but the newest replay buffer checkpoint in ``folder`` (each is up to ~600 MB), and the
    temporary files of writes a kill cut short (:func:`gym_launchpad.atomic_file.remove_abandoned`)."""
    buffers = sorted(Path(folder).glob(f"{CHECKPOINT_PREFIX}_replay_buffer_*_steps.npz"), key=checkpoint_steps)
    for path in buffers[:-1]:
        path.unlink()
    remove_abandoned(folder)
