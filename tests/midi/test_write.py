"""Bars to MIDI files and back through the corpus builder, and MIDI files to audio."""

import argparse
import os
import shutil
import wave

import mido
import numpy as np
import pretty_midi
import pytest

from gym_launchpad import midi
from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.midi import write

SPEC = LaunchpadSpec()


def random_composition(spec, n_bars, seed, density=0.25):
    rng = np.random.default_rng(seed)
    return np.stack([
        LaunchpadState.from_toggles(spec, rng.random((spec.n_notes, spec.n_patterns)) < density,
                                    rng.integers(0, spec.steps, spec.n_notes)).words()
        for _ in range(n_bars)
    ])


def launchpad_main(argv):
    """``launchpad ARGV`` with just the subcommands of :mod:`gym_launchpad.midi`, as ``cli.main`` runs them."""
    parser = argparse.ArgumentParser(prog="launchpad")
    midi.add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def require_program(name):
    """Skip when a system program is missing, except in CI, which installs it and must really test it."""
    if shutil.which(name) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, and CI must test it (apt-get install {name})")
        pytest.skip(f"{name} is not installed (apt-get install {name})")


# --- bars to MIDI and back ---------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [SPEC, LaunchpadSpec(n_notes=5, bar_bits=3, low_note=60), LaunchpadSpec(1, 1, 0)])
@pytest.mark.parametrize("join", [True, False])
@pytest.mark.parametrize("tempo_bpm", [120.0, 97.0, 333.0])
def test_written_file_reads_back_to_the_same_bar_words(tmp_path, spec, join, tempo_bpm):
    for seed in range(3):
        bars = random_composition(spec, n_bars=4, seed=seed)
        bars[2] = 0  # a rest inside the composition
        path = midi.write_midi(bars, tmp_path / f"song{seed}.mid", spec, tempo_bpm=tempo_bpm, join=join)
        read = read_midi_bars(path, spec, fold=True, min_cells=0, min_pitches=0)
        played = {int(b): w for b, w in zip(read.bar_number, read.words, strict=True)}
        for number, words in enumerate(bars):
            np.testing.assert_array_equal(played.get(number, np.zeros_like(words)), words,
                                          err_msg=f"bar {number} of seed {seed}")
        assert set(played) <= set(range(len(bars)))


def test_note_spans_join_repeated_steps_across_bar_lines_or_keep_each_hit():
    spec = LaunchpadSpec(n_notes=2, bar_bits=2, low_note=60)
    # Row 0 sounds on steps 2, 3 of bar 0 and 0 of bar 1 (one note held over the bar line); row 1 on step 1.
    bars = np.array([[0b1100, 0b0010], [0b0001, 0]], dtype=np.uint64)
    assert midi.note_spans(bars, spec) == [(1, 1, 2), (0, 2, 5)]
    assert midi.note_spans(bars, spec, join=False) == [(1, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5)]


def test_bars_to_midi_carries_tempo_program_velocity_and_spans_every_bar():
    bars = np.zeros((3, SPEC.n_notes), dtype=np.uint64)
    bars[0, 5] = 0b1111  # four 64th steps of pitch 52: one held note, a sixteenth long
    score = midi.bars_to_midi(bars, SPEC, tempo_bpm=90, program=40, velocity=77)
    assert score.resolution == midi.RESOLUTION
    np.testing.assert_allclose(score.get_tempo_changes()[1], [90.0], rtol=1e-5)
    (instrument,) = score.instruments
    assert (instrument.program, instrument.is_drum) == (40, False)
    (note,) = instrument.notes
    assert (note.pitch, note.velocity) == (SPEC.low_note + 5, 77)
    assert note.start == 0.0 and note.end == pytest.approx(60 / 90 / 4)
    assert score.get_end_time() == pytest.approx(3 * 4 * 60 / 90)  # the two empty bars are still there
    assert [(ts.numerator, ts.denominator) for ts in score.time_signature_changes] == [(4, 4)]


def test_every_step_boundary_lands_on_a_whole_tick(tmp_path):
    bars = random_composition(SPEC, 2, seed=7)
    path = midi.write_midi(bars, tmp_path / "ticks.mid", SPEC, tempo_bpm=133.0, join=False)
    ticks_per_step = midi.RESOLUTION * midi.QUARTERS_PER_BAR // SPEC.steps
    ticks = []
    for track in mido.MidiFile(path).tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on":
                ticks.append(tick)
    assert ticks and all(t % ticks_per_step == 0 for t in ticks)
    assert len(ticks) == 2 * int(SPEC.words_to_roll(bars).sum())  # one on and one off per sounding step


@pytest.mark.parametrize("channel", [0, 3, 15])
def test_write_midi_puts_every_message_on_the_chosen_channel(tmp_path, channel):
    path = midi.write_midi(random_composition(SPEC, 1, seed=1), tmp_path / "c.mid", SPEC, channel=channel, program=5)
    channels = {m.channel for t in mido.MidiFile(path).tracks for m in t if not m.is_meta}
    assert channels == {channel}
    (instrument,) = pretty_midi.PrettyMIDI(str(path)).instruments
    assert instrument.program == 5 and not instrument.is_drum


def test_channel_9_is_the_general_midi_drum_kit(tmp_path):
    path = midi.write_midi(random_composition(SPEC, 1, seed=1), tmp_path / "d.mid", SPEC, channel=9)
    assert pretty_midi.PrettyMIDI(str(path)).instruments[0].is_drum


@pytest.mark.parametrize(
    "bars, options, message",
    [
        (np.zeros(SPEC.n_notes - 1, dtype=np.uint64), {}, "shape"),
        (np.zeros((2, 3, SPEC.n_notes), dtype=np.uint64), {}, "shape"),
        (np.full(SPEC.n_notes, -1), {}, "non-negative"),
        (np.zeros(SPEC.n_notes), {}, "non-negative integers"),
        (np.zeros(SPEC.n_notes, dtype=np.uint64), {"tempo_bpm": 2}, "tempo_bpm"),
        (np.zeros(SPEC.n_notes, dtype=np.uint64), {"velocity": 0}, "velocity"),
        (np.zeros(SPEC.n_notes, dtype=np.uint64), {"program": 128}, "program"),
        (np.zeros(SPEC.n_notes, dtype=np.uint64), {"channel": 16}, "channel"),
    ],
)
def test_bad_bars_or_settings_are_refused_with_a_message_naming_them(bars, options, message):
    with pytest.raises(ValueError, match=message):
        midi.bars_to_midi(bars, SPEC, **options)


def test_words_with_steps_beyond_the_bar_are_refused():
    spec = LaunchpadSpec(n_notes=2, bar_bits=3)
    with pytest.raises(ValueError, match="beyond step 7"):
        midi.bars_to_midi(np.array([1 << 8, 0], dtype=np.uint64), spec)


# --- audio ---------------------------------------------------------------------------------------------
# Three bars at 120 BPM (2 s each): chords in bars 0 and 2, a rest in bar 1.
RENDER_TEMPO = 120.0
BAR_S = 2.0


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    bars = np.zeros((3, SPEC.n_notes), dtype=np.uint64)
    chord = [5, 9, 12]  # E, G#, B: an E major triad
    bars[0, chord] = SPEC.row_mask
    bars[2, chord] = SPEC.row_mask
    return midi.write_midi(bars, tmp_path_factory.mktemp("audio") / "song.mid", SPEC, tempo_bpm=RENDER_TEMPO)


def read_wav(path):
    with wave.open(str(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype={2: "<i2", 4: "<i4"}[width])
    return frames.reshape(-1, channels).astype(np.float64).mean(axis=1), rate


def rms(audio, rate, start_s, end_s):
    return float(np.sqrt(np.mean(audio[int(start_s * rate):int(end_s * rate)] ** 2)))


def check_audio(path, rate_wanted):
    audio, rate = read_wav(path)
    assert rate == rate_wanted
    # It spans the three bars; the synthesizer may add a release tail of a few seconds, no more.
    assert 3 * BAR_S <= len(audio) / rate <= 3 * BAR_S + 4
    loud_0, loud_2 = rms(audio, rate, 0.1, 1.9), rms(audio, rate, 4.1, 5.9)
    rest = rms(audio, rate, 3.2, 3.9)  # late in the rest, after the first chord has died away
    assert loud_0 > 30 and loud_2 > 30, "silent where notes play"  # of 32767; a silent file is ~0
    assert rest < 0.1 * min(loud_0, loud_2), "sound where the music rests"


def test_sine_rendering_spans_the_song_and_sounds_only_where_notes_play(song, tmp_path):
    result = midi.render_audio(song, tmp_path / "sine.wav", backend="sine", sample_rate=22050)
    assert result.backend == "sine" and result.soundfont is None
    check_audio(result.path, 22050)


@pytest.mark.parametrize("backend", ["sine", "fluidsynth"])
def test_a_trailing_rest_is_rendered_too(tmp_path, backend):
    if backend == "fluidsynth":
        require_program("fluidsynth")
    bars = np.zeros((2, SPEC.n_notes), dtype=np.uint64)
    bars[0, 0] = 1  # one 64th note, then almost two bars of rest
    path = midi.write_midi(bars, tmp_path / "rest.mid", SPEC, tempo_bpm=RENDER_TEMPO)
    assert midi.render_audio(path, tmp_path / "rest.wav", backend=backend).seconds >= 2 * BAR_S


def test_fluidsynth_rendering_spans_the_song_and_sounds_only_where_notes_play(song, tmp_path):
    require_program("fluidsynth")
    result = midi.render_audio(song, tmp_path / "fs.wav", backend="fluidsynth")
    assert result.backend == "fluidsynth" and result.soundfont.is_file()
    check_audio(result.path, 44100)


def test_render_command_writes_the_wav_next_to_the_midi_file(song, tmp_path, capsys):
    require_program("fluidsynth")
    local = tmp_path / "mine.mid"
    local.write_bytes(song.read_bytes())
    assert launchpad_main(["render", str(local)]) == 0
    assert "fluidsynth" in capsys.readouterr().out
    check_audio(tmp_path / "mine.wav", 44100)


def test_without_fluidsynth_render_falls_back_to_sine_waves_and_says_so(song, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(write, "_pyfluidsynth_available", lambda: False)
    assert launchpad_main(["render", str(song), "-o", str(tmp_path / "x.wav")]) == 0
    captured = capsys.readouterr()
    assert "FluidSynth is not installed" in captured.err and "apt-get install fluidsynth" in captured.err
    assert "sine" in captured.out
    check_audio(tmp_path / "x.wav", 44100)


def test_a_missing_soundfont_is_one_clear_message(song, tmp_path, capsys):
    require_program("fluidsynth")
    assert launchpad_main(["render", str(song), "-o", str(tmp_path / "x.wav"), "--soundfont", "nope.sf2"]) == 1
    err = capsys.readouterr().err
    assert "soundfont nope.sf2 does not exist" in err
    assert not (tmp_path / "x.wav").exists()


def test_a_missing_or_broken_midi_file_is_one_clear_message(tmp_path, capsys):
    assert launchpad_main(["render", str(tmp_path / "none.mid")]) == 1
    assert "does not exist" in capsys.readouterr().err
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd not really")
    assert launchpad_main(["render", str(broken)]) == 1
    assert "not a readable MIDI file" in capsys.readouterr().err


def test_the_soundfont_found_by_default_exists():
    assert midi.find_soundfont().is_file()


def test_onsets_rung_are_struck_and_held_to_the_next_onset_of_their_pitch_or_the_bar_line(tmp_path):
    spec = LaunchpadSpec()
    bars = np.zeros((2, spec.n_notes), dtype=np.uint64)
    bars[0, 3] = (1 << 0) | (1 << 16) | (1 << 63)  # three strikes of one pitch
    bars[1, 3] = 1 << 0  # struck again on the next downbeat: a new note, not a longer one
    bars[1, 5] = 1 << 40
    spans = midi.note_spans(bars, spec, cells="onsets", release="ring")
    assert spans == [(3, 0, 16), (3, 16, 63), (3, 63, 64), (3, 64, 128), (5, 104, 128)]
    path = midi.write_midi(bars, tmp_path / "onsets.mid", spec, cells="onsets", release="ring")
    read = read_midi_bars(path, spec, cells="onsets")
    np.testing.assert_array_equal(read.words, bars)
    with pytest.raises(ValueError, match="cells must be 'sounding' or 'onsets'"):
        midi.note_spans(bars, spec, cells="held")


def test_by_default_a_struck_note_sounds_until_a_pitch_within_4_semitones_is_struck():
    spec = LaunchpadSpec()
    bars = np.zeros((2, spec.n_notes), dtype=np.uint64)
    bars[0, 0] = 1 << 0   # row 0 struck at 0 ...
    bars[0, 10] = 1 << 0  # ... with row 10, 6 or more from everything struck after it: rings to the bar line
    bars[0, 5] = 1 << 8   # 5 semitones from row 0: does not release it
    bars[0, 4] = 1 << 16  # 4 semitones from row 0 (and 1 from row 5): releases both
    bars[0, 3] = 1 << 16  # struck with row 4; neither releases the other
    bars[1, 20] = 1 << 4  # next bar: everything was released at the bar line
    spans = midi.note_spans(bars, spec, cells="onsets")
    assert spans == [(0, 0, 16), (10, 0, 64), (5, 8, 16), (3, 16, 64), (4, 16, 64), (20, 68, 128)]
    assert spans == midi.note_spans(bars, spec, cells="onsets", release="voice:4")
    assert midi.note_spans(bars, spec, cells="onsets", release="voice:3")[:3] == [(0, 0, 16), (10, 0, 64), (5, 8, 16)]
    assert (0, 0, 16) not in midi.note_spans(bars, spec, cells="onsets", release="voice:2")


@pytest.mark.parametrize("release", ["ring", "voice", "voice:1", "gate:8", "voice:2,gate:16", "voice:3,gate:40,free"])
def test_onsets_written_with_any_release_read_back_to_the_same_bars(tmp_path, release):
    bars = random_composition(SPEC, n_bars=5, seed=7, density=0.2)
    bars[3] = 0
    path = midi.write_midi(bars, tmp_path / "song.mid", SPEC, cells="onsets", release=release)
    read = read_midi_bars(path, SPEC, cells="onsets")
    played = {int(b): w for b, w in zip(read.bar_number, read.words, strict=True)}
    for number, words in enumerate(bars):
        np.testing.assert_array_equal(played.get(number, np.zeros_like(words)), words)


def test_a_gate_ends_notes_and_free_notes_ring_over_the_bar_line():
    spec = LaunchpadSpec(n_notes=4, bar_bits=3, low_note=60)  # 8 steps a bar
    bars = np.zeros((2, spec.n_notes), dtype=np.uint64)
    bars[0, 0] = 1 << 6
    bars[1, 3] = 1 << 2
    assert midi.note_spans(bars, spec, cells="onsets", release="gate:4") == [(0, 6, 8), (3, 10, 14)]
    assert midi.note_spans(bars, spec, cells="onsets", release="gate:4,free") == [(0, 6, 10), (3, 10, 14)]
    # a note still sounding at the end of the song ends there
    assert midi.note_spans(bars, spec, cells="onsets", release="gate:9,free") == [(0, 6, 15), (3, 10, 16)]


@pytest.mark.parametrize("text", ["voice", "ring", "voice:2", "gate:16", "voice:3,gate:32", "voice:3,gate:64,free"])
def test_a_release_and_its_name_go_both_ways(text):
    release = midi.Release.parse(text)
    assert midi.Release.parse(str(release)) == release
    assert midi.Release.parse(None) == midi.Release.parse("voice") == midi.DEFAULT_RELEASE == midi.Release(voice=4)


@pytest.mark.parametrize("text", ["voice:0", "gate:x", "free", "voice:2,free", "chime", "voice:2,voice:3", ""])
def test_a_bad_release_is_one_clear_message(text):
    with pytest.raises(ValueError, match="release|Release"):
        midi.Release.parse(text)


def test_a_release_for_sounding_cells_is_refused():
    with pytest.raises(ValueError, match="release= applies to bars of onsets"):
        midi.note_spans(np.zeros(SPEC.n_notes, dtype=np.uint64), SPEC, release="voice")
