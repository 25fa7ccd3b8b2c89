"""Audio levels: the one level every WAV rendered here is brought to (:func:`normalize_peak`), and the
level of a WAV file second by second (:func:`levels_per_second`), in dBFS.

Every renderer ends in :func:`normalize_peak`: the loudest sample of the song at :data:`PEAK_DBFS`
(-1 dBFS, 0.89 of full scale). Peak normalisation rather than loudness normalisation (EBU R128) because
it is one gain per song that never clips and needs no filter, no gating and no limiter, and the dynamics
inside the song are kept. Without it FluidSynth renders ~25 dB below full scale (peaks near 0.05 of full
scale), far quieter than any other audio. The price: a struck piano, whose attacks peak far above its
sound, ends some dB quieter on average than sine waves of the same notes.

dBFS here is ``20 * log10(x)`` of a level ``x`` in units of full scale, for a peak and for an RMS alike
(a full-scale sine wave is 0 dBFS peak, -3 dBFS RMS).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gym_launchpad.atomic_file import atomic_path

#: The peak every rendered WAV is brought to: 1 dB under full scale, headroom for a player's resampling.
PEAK_DBFS = -1.0

#: Below this peak a render is silence (or a synthesizer's dither): it is written as it is, never brought
#: up to full scale.
SILENCE_DBFS = -80.0

#: The level that stands for digital silence, where ``log10(0)`` would be minus infinity.
FLOOR_DBFS = -200.0


def dbfs(level) -> np.ndarray:
    """``20 * log10(level)``, with :data:`FLOOR_DBFS` for a level of 0."""
    level = np.asarray(level, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.maximum(20 * np.log10(level), FLOOR_DBFS)


def normalize_peak(audio: np.ndarray, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """``audio`` (floats, full scale 1, any shape) times the one gain that puts its largest absolute sample at
    ``peak_dbfs``; audio whose peak is under :data:`SILENCE_DBFS` is returned unchanged."""
    audio = np.asarray(audio, dtype=np.float64)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if dbfs(peak) < SILENCE_DBFS:
        return audio
    return audio * (10 ** (peak_dbfs / 20) / peak)


def write_wav(path, audio: np.ndarray, sample_rate: int) -> None:
    """Write ``audio`` (floats in [-1, 1]; ``(samples,)`` mono or ``(samples, channels)``) as a 16-bit WAV."""
    audio = np.asarray(audio, dtype=np.float64)
    frames = audio[:, None] if audio.ndim == 1 else audio
    samples = np.clip(np.round(frames * 32767), -32768, 32767).astype("<i2")
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(frames.shape[1])
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.tobytes())


def read_wav(path) -> tuple[np.ndarray, int]:
    """A 16- or 32-bit PCM WAV file as ``((samples, channels) floats, full scale 1; sample rate)``."""
    with wave.open(str(path), "rb") as wav:
        width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
        if width not in (2, 4):
            raise ValueError(f"{path}: {8 * width}-bit samples; read_wav reads 16- and 32-bit PCM")
        raw = wav.readframes(wav.getnframes())
    samples = np.frombuffer(raw, dtype={2: "<i2", 4: "<i4"}[width]).reshape(-1, channels)
    return samples / float(2 ** (8 * width - 1)), rate


@dataclass(frozen=True)
class Levels:
    """The level of a WAV second by second: entry ``i`` covers seconds ``[i, i + 1)`` (the last one may be
    shorter). Peaks are over every channel; RMS over every sample of every channel."""

    peak_dbfs: np.ndarray
    rms_dbfs: np.ndarray

    @property
    def seconds(self) -> int:
        return len(self.peak_dbfs)


def levels_per_second(wav) -> Levels:
    """The peak and RMS level, in dBFS, of each second of the WAV file ``wav``."""
    audio, rate = read_wav(Path(wav))
    n_seconds = -(-len(audio) // rate)
    peaks, rms = np.zeros(n_seconds), np.zeros(n_seconds)
    for second in range(n_seconds):
        chunk = audio[second * rate:(second + 1) * rate]
        peaks[second] = np.max(np.abs(chunk))
        rms[second] = np.sqrt(np.mean(chunk ** 2))
    return Levels(dbfs(peaks), dbfs(rms))
