"""TensorBoard media: a tiny training writes, at its evaluation, the last bar beside its nearest corpus bar as
an image and the last bars as 16 kHz audio, which TensorBoard's own event reader finds and decodes."""

import io
import wave

import numpy as np
import pytest
from PIL import Image as PILImage
from stable_baselines3.common.logger import Image
from tensorboard.backend.event_processing.event_accumulator import AUDIO, IMAGES, EventAccumulator
from test_train import _train  # tests/agents/dqn is on sys.path (pytest's default "prepend" mode)

from agents.dqn.tensorboard_media import (
    AUDIO_BARS,
    AUDIO_TAG,
    EXTRA,
    IMAGE_TAG,
    MATCH,
    MISSING,
    SAMPLE_RATE,
    Audio,
    bar_comparison_image,
    bars_audio,
    media_logger,
)
from gym_launchpad import LaunchpadSpec
from gym_launchpad.midi.levels import PEAK_DBFS
from gym_launchpad.midi.write import step_seconds
from gym_launchpad.reward import bar_distances


def _bar(spec, cells):
    roll = np.zeros((spec.n_notes, spec.steps), dtype=bool)
    for row, step in cells:
        roll[row, step] = True
    return spec.roll_to_words(roll)


def _colors(image):
    return {color: int(np.all(image == color, axis=-1).sum()) for color in (MATCH, EXTRA, MISSING)}


def test_comparison_image_colours_the_hamming_distance():
    spec = LaunchpadSpec()
    ours, theirs = _bar(spec, [(0, 0), (5, 8), (23, 63)]), _bar(spec, [(0, 0), (7, 8)])
    image = bar_comparison_image(spec, ours, theirs)
    assert image.dtype == np.uint8 and image.shape[2] == 3
    cells = {color: pixels // 64 for color, pixels in _colors(image).items()}  # a cell is 8 x 8 pixels
    assert cells == {MATCH: 2, EXTRA: 2, MISSING: 1}  # the shared note in both panels; 2 wrong, 1 missing
    assert cells[EXTRA] + cells[MISSING] == bar_distances(theirs[None], ours)[0]


def test_bars_audio_is_the_bars_length_and_silent_only_without_notes():
    spec = LaunchpadSpec()
    notes = bars_audio(spec, np.stack([_bar(spec, [(12, 0), (12, 32)])] * 2))
    assert notes.sample_rate == SAMPLE_RATE
    assert len(notes.samples) == 2 * spec.steps * step_seconds(spec, 120.0) * SAMPLE_RATE
    assert np.abs(notes.samples).max() == pytest.approx(10 ** (PEAK_DBFS / 20))  # every WAV's peak, -1 dBFS
    silence = bars_audio(spec, np.zeros((1, spec.n_notes), dtype=np.uint64))
    assert np.abs(silence.samples).max() < 1e-3


def _read_events(folder):
    events = EventAccumulator(str(folder), size_guidance={IMAGES: 0, AUDIO: 0})
    events.Reload()
    return events


def test_media_logger_writes_audio_and_images_and_keeps_them_out_of_csv(tmp_path):
    logger = media_logger(str(tmp_path), ["tensorboard", "csv", "stdout"])
    tone = np.sin(np.arange(SAMPLE_RATE) * 2 * np.pi * 440 / SAMPLE_RATE) * 0.5
    exclude = ("stdout", "log", "csv", "json")
    logger.record("media/tone", Audio(tone, SAMPLE_RATE), exclude=exclude)
    logger.record("media/red", Image(np.full((4, 6, 3), (255, 0, 0), dtype=np.uint8), "HWC"), exclude=exclude)
    logger.record("eval/x", 1.0)
    logger.dump(7)
    logger.close()
    events = _read_events(tmp_path)
    [audio] = events.Audio("media/tone")
    assert (audio.step, audio.sample_rate, audio.length_frames) == (7, SAMPLE_RATE, SAMPLE_RATE)
    [image] = events.Images("media/red")
    assert (image.width, image.height) == (6, 4)
    assert (tmp_path / "progress.csv").read_text().splitlines()[0] == "eval/x"


@pytest.mark.slow
def test_training_logs_the_evaluation_bar_as_image_and_audio(tmp_path, synthetic_corpus_path):
    logdir = _train(tmp_path, synthetic_corpus_path, "linear", steps=200, extra=["--checkpoint-freq", "0"])
    events = _read_events(logdir / "tb")
    assert IMAGE_TAG in events.Tags()["images"] and AUDIO_TAG in events.Tags()["audio"]
    [image] = events.Images(IMAGE_TAG)
    [audio] = events.Audio(AUDIO_TAG)
    assert image.step == audio.step == 200  # the one evaluation, at eval_freq=200
    pixels = np.asarray(PILImage.open(io.BytesIO(image.encoded_image_string)).convert("RGB"))
    colors = _colors(pixels)
    # The final distance the evaluation logged is what the image shows: wrong plus missing notes.
    [final_distance] = events.Scalars("eval/final_distance")
    assert (colors[EXTRA] + colors[MISSING]) // 64 == final_distance.value
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as sound:
        assert sound.getframerate() == SAMPLE_RATE == audio.sample_rate
        frames = sound.getnframes()
    spec = LaunchpadSpec()
    assert frames == AUDIO_BARS * spec.steps * step_seconds(spec, 120.0) * SAMPLE_RATE
