"""Every rendered WAV at one level: a real song (Bach bars of the shipped corpus) rendered by FluidSynth and by
sine waves peaks at -1 dBFS, sounds at a listening level every second it plays, and the two renderers sound
about as loud; and the level meter itself, on a WAV of known level."""

import os
import shutil

import numpy as np
import pytest

from gym_launchpad.corpus import Corpus
from gym_launchpad.midi import levels, render_audio, write_midi

TEMPO = 120.0  # two seconds a bar
SONG_BARS = 8


@pytest.fixture(scope="module")
def bach_song(tmp_path_factory):
    """``SONG_BARS`` Bach bars of the shipped corpus as a MIDI file, each sounding in both of its halves, so
    that something plays in every second of the song."""
    corpus = Corpus.default()
    rolls = corpus.rolls()
    half = corpus.spec.steps // 2
    sounding = rolls[:, :, :half].any(axis=(1, 2)) & rolls[:, :, half:].any(axis=(1, 2))
    bars = corpus.bars[np.flatnonzero(sounding)[:SONG_BARS]]
    return write_midi(bars, tmp_path_factory.mktemp("levels") / "bach.mid", corpus.spec, tempo_bpm=TEMPO)


def render(song, folder, backend):
    if backend == "fluidsynth" and shutil.which("fluidsynth") is None:
        if os.environ.get("CI"):
            pytest.fail("fluidsynth is not installed, and CI must test it (apt-get install fluidsynth)")
        pytest.skip("fluidsynth is not installed (apt-get install fluidsynth)")
    return render_audio(song, folder / f"{backend}.wav", backend=backend).path


@pytest.mark.parametrize("backend", ["fluidsynth", "sine"])
def test_a_rendered_song_peaks_at_minus_1_dbfs_and_no_second_of_it_is_silent(bach_song, tmp_path, backend):
    meter = levels.levels_per_second(render(bach_song, tmp_path, backend))
    playing = slice(0, SONG_BARS * 2)  # the song's seconds; FluidSynth adds a release tail after them
    assert meter.seconds >= SONG_BARS * 2
    assert meter.peak_dbfs.max() == pytest.approx(levels.PEAK_DBFS, abs=0.05)
    # A listening level every second: measured -21 dBFS RMS at the quietest (FluidSynth's piano), -13 at the
    # loudest (sine waves); FluidSynth used to write all of it at -38 to -43 dBFS.
    assert np.all(meter.rms_dbfs[playing] > -27), meter.rms_dbfs
    assert np.all(meter.rms_dbfs[playing] < -9), meter.rms_dbfs


def test_fluidsynth_and_sine_waves_sound_about_as_loud(bach_song, tmp_path):
    rms = {backend: np.median(levels.levels_per_second(render(bach_song, tmp_path, backend)).rms_dbfs[:SONG_BARS * 2])
           for backend in ("fluidsynth", "sine")}
    # One peak, so the piano's attacks leave its body a few dB under the sines' (measured 4); it was ~26 dB.
    assert abs(rms["fluidsynth"] - rms["sine"]) < 8, rms


def test_the_meter_reads_a_known_level_and_silence(tmp_path):
    rate = 8000
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)  # -6.02 dBFS peak, -9.03 dBFS RMS
    audio = np.stack([np.concatenate([tone, np.zeros(rate), tone[:rate // 2]])] * 2, axis=1)
    levels.write_wav(tmp_path / "known.wav", audio, rate)
    meter = levels.levels_per_second(tmp_path / "known.wav")
    assert meter.seconds == 3  # the last, half a second, counts too
    np.testing.assert_allclose(meter.peak_dbfs, [-6.02, levels.FLOOR_DBFS, -6.02], atol=0.01)
    np.testing.assert_allclose(meter.rms_dbfs, [-9.03, levels.FLOOR_DBFS, -9.03], atol=0.01)


def test_normalisation_brings_the_peak_to_minus_1_dbfs_and_leaves_silence_silent():
    quiet = 0.05 * np.sin(np.linspace(0, 100, 1000))
    assert 20 * np.log10(np.abs(levels.normalize_peak(quiet)).max()) == pytest.approx(levels.PEAK_DBFS)
    dither = np.full(1000, 1e-5)  # -100 dBFS: a synthesizer's noise, not music to bring to full scale
    np.testing.assert_array_equal(levels.normalize_peak(dither), dither)
    assert levels.normalize_peak(np.zeros(0)).size == 0
