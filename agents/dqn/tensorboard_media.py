"""What an evaluation sounds and looks like, in TensorBoard: the last bar beside its nearest corpus bar, and
the last few bars as audio.

SB3's logger carries images (:class:`stable_baselines3.common.logger.Image`) but no audio, so
:class:`Audio` is a value its TensorBoard output cannot write; :class:`MediaTensorBoardFormat` is SB3's
TensorBoard output format that writes it too, and :func:`media_logger` is SB3's ``configure`` with that
format in place of the plain one. :func:`record_episode_media` records both values of an episode; the
training command calls it at every evaluation (:class:`agents.dqn.callbacks.LaunchpadEvalCallback`).

Tags: ``media/last_bar_vs_nearest`` (image) and ``media/last_bars`` (audio, 16 kHz mono).
"""

from __future__ import annotations

import tempfile
import warnings
import wave
from pathlib import Path

import numpy as np
from stable_baselines3.common.logger import Image, KVWriter, Logger, TensorBoardOutputFormat, make_output_format

from gym_launchpad.midi.levels import normalize_peak
from gym_launchpad.midi.write import render_audio, step_seconds, write_midi
from gym_launchpad.render import CELL, COLORS, GAP

IMAGE_TAG = "media/last_bar_vs_nearest"
AUDIO_TAG = "media/last_bars"

#: TensorBoard plays 16 kHz as well as 44.1 kHz, at a third of the bytes in the event file.
SAMPLE_RATE = 16_000

#: Bars of the episode's end rendered to audio: enough to hear where the agent settled.
AUDIO_BARS = 4

#: A cell in both bars, only in the agent's bar (a wrong note), only in the corpus bar (a missing note).
MATCH, EXTRA, MISSING = COLORS["roll_on"], COLORS["roll_extra"], COLORS["roll_missing"]

#: The band between the two rolls.
DIVIDER = COLORS["divider"]

#: Outputs that cannot show media: SB3 raises on images there, and would write an Audio as its repr.
NO_MEDIA_FORMATS = ("stdout", "log", "csv", "json")


class Audio:
    """Mono audio for SB3's logger: ``samples`` (L,) float32 in [-1, 1] at ``sample_rate`` samples per second."""

    def __init__(self, samples: np.ndarray, sample_rate: int):
        self.samples, self.sample_rate = np.asarray(samples, dtype=np.float32), int(sample_rate)


class MediaTensorBoardFormat(TensorBoardOutputFormat):
    """SB3's TensorBoard output, writing :class:`Audio` values as TensorBoard audio besides what SB3 writes."""

    def write(self, key_values: dict, key_excluded: dict, step: int = 0) -> None:
        for key, value in key_values.items():
            if isinstance(value, Audio) and "tensorboard" not in (key_excluded.get(key) or ()):
                self.writer.add_audio(key, value.samples[None, :], step, sample_rate=value.sample_rate)
        super().write(key_values, key_excluded, step)


def media_logger(folder: str, formats: list[str]) -> Logger:
    """SB3's ``configure(folder, formats)``, with :class:`MediaTensorBoardFormat` as its ``"tensorboard"``."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    outputs: list[KVWriter] = [MediaTensorBoardFormat(folder) if name == "tensorboard"
                               else make_output_format(name, folder) for name in formats]
    return Logger(folder=folder, output_formats=outputs)


def bar_comparison_image(spec, bar: np.ndarray, corpus_bar: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8: the agent's bar (left) and the corpus bar (right) as piano rolls, highest pitch on
    top. A note in both is white; in the agent's bar only, orange; in the corpus bar only, blue: the coloured
    cells are the Hamming distance between the two, the env's reward."""
    ours, theirs = spec.words_to_roll(np.asarray(bar, dtype=np.uint64)), spec.words_to_roll(
        np.asarray(corpus_bar, dtype=np.uint64))
    pitch = CELL + GAP
    panel_width = spec.steps * pitch + GAP
    height = spec.n_notes * pitch + GAP
    image = np.empty((height, 2 * panel_width + 2 * CELL, 3), dtype=np.uint8)
    image[:] = COLORS["background"]
    image[:, panel_width + CELL // 2:panel_width + 3 * CELL // 2] = DIVIDER
    for panel, (roll, other, alone) in enumerate(((ours, theirs, EXTRA), (theirs, ours, MISSING))):
        left = panel * (panel_width + 2 * CELL)
        for row in range(spec.n_notes):
            y = (spec.n_notes - 1 - row) * pitch + GAP
            for t in range(spec.steps):
                x = left + t * pitch + GAP
                if roll[row, t]:
                    color = MATCH if other[row, t] else alone
                else:
                    color = COLORS["roll_beat" if t % max(spec.steps // 4, 1) == 0 else "roll_off"]
                image[y:y + CELL, x:x + CELL] = color
    return image


def bars_audio(spec, bars: np.ndarray, tempo_bpm: float = 120.0, sample_rate: int = SAMPLE_RATE) -> Audio:
    """``bars`` (M, N) played one after another (piano, ``tempo_bpm``), rendered by
    :func:`gym_launchpad.midi.write.render_audio`: FluidSynth when installed, else sine waves (it warns
    once). Cut (or padded) to exactly the M bars, so that every evaluation's clip is as long and loops, and
    brought to the peak every WAV of the project has (:func:`gym_launchpad.midi.levels.normalize_peak`)."""
    with tempfile.TemporaryDirectory(prefix="launchpad_media_") as folder:
        midi = write_midi(bars, Path(folder) / "bars.mid", spec, tempo_bpm=tempo_bpm)
        with warnings.catch_warnings():
            warnings.simplefilter("once", RuntimeWarning)
            result = render_audio(midi, Path(folder) / "bars.wav", sample_rate=sample_rate)
        with wave.open(str(result.path), "rb") as file:
            if file.getsampwidth() != 2:
                raise RuntimeError(f"{result.backend} wrote {8 * file.getsampwidth()}-bit audio; 16-bit expected")
            frames, channels = file.readframes(file.getnframes()), file.getnchannels()
    samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).mean(axis=1) / 32768.0
    length = round(len(bars) * spec.steps * step_seconds(spec, tempo_bpm) * sample_rate)
    samples = np.pad(samples[:length], (0, max(0, length - len(samples))))
    return Audio(normalize_peak(samples), sample_rate)


def record_episode_media(logger: Logger, env, episode) -> None:
    """Record an :class:`agents.rollout.Episode` of ``env``: its last bar beside the nearest corpus bar, and
    its last :data:`AUDIO_BARS` bars as audio; written at the logger's next dump."""
    spec, corpus = env.unwrapped.launchpad, env.unwrapped.corpus
    corpus_bar = corpus.bars[int(episode.nearest[-1])]
    image = bar_comparison_image(spec, episode.bars[-1], corpus_bar)
    logger.record(IMAGE_TAG, Image(image, "HWC"), exclude=NO_MEDIA_FORMATS)
    logger.record(AUDIO_TAG, bars_audio(spec, episode.bars[-AUDIO_BARS:]), exclude=NO_MEDIA_FORMATS)
