"""The live player: its scheduling logic on a recording sink, and real MIDI ports over a private JACK server."""

import time

import numpy as np
import pytest

from gym_launchpad.corpus.build import read_midi_bars
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.midi import note_spans, step_seconds
from gym_launchpad.midi.live import NOTE_OFF, NOTE_ON, MidiPlayer, PlaybackError, RecordingSink
from gym_launchpad.midi.ports import RtMidiSink

SMALL = LaunchpadSpec(n_notes=4, bar_bits=3, low_note=60)  # 8 steps a bar
FAST = 1000.0  # BPM: a step of SMALL is 30 ms, a bar 0.24 s


def random_bar(spec, seed, density=0.3):
    rng = np.random.default_rng(seed)
    return LaunchpadState.from_toggles(spec, rng.random((spec.n_notes, spec.n_patterns)) < density,
                                       rng.integers(0, spec.steps, spec.n_notes)).words()


def reference_events(spec, bars, hold=True, channel=0, velocity=90):
    """``(global step, message)`` of bars played one after another, straight from the piano roll."""
    roll = np.concatenate([spec.words_to_roll(bar) for bar in bars], axis=1)  # (N, steps * bars)
    before = np.zeros(spec.n_notes, dtype=bool)
    events = []
    for step, now in enumerate(roll.T):
        ending = before & ~now if hold else before
        starting = now & ~before if hold else now
        events += [(step, (NOTE_OFF | channel, spec.low_note + row, 0)) for row in np.flatnonzero(ending)]
        events += [(step, (NOTE_ON | channel, spec.low_note + row, velocity)) for row in np.flatnonzero(starting)]
        before = now
    return events


def played_events(player, n_bars):
    """``(global step, message)`` the player logged for its first ``n_bars`` bars."""
    steps = player.spec.steps
    return [(e.bar * steps + e.step, e.message) for e in player.event_log if e.bar < n_bars and e.message[0] != 0xC0]


def left_sounding(messages):
    sounding = set()
    for message in messages:
        status, pitch = message[0] & 0xF0, message[1]
        if status == NOTE_ON and message[2] > 0:
            sounding.add(pitch)
        elif status in (NOTE_ON, NOTE_OFF):
            sounding.discard(pitch)
    return sounding


def play(spec, bars, *, until_bar, sink=None, timeout=5, **options):
    """Queue ``bars[0]``, start, queue ``bars[i]`` as bar ``i - 1`` starts, stop when bar ``until_bar`` starts.

    Plays to ``sink`` (a fresh :class:`RecordingSink` by default); ``timeout`` bounds each wait for a bar.
    """
    sink = RecordingSink() if sink is None else sink
    player = MidiPlayer(spec, sink, tempo_bpm=options.pop("tempo_bpm", FAST), log_events=True, **options)
    player.queue_bar(bars[0])
    with player:
        player.start()
        for index, bar in enumerate(bars[1:], start=1):
            assert player.wait_for_bar(index - 1, timeout=timeout)
            player.queue_bar(bar)
        assert player.wait_for_bar(until_bar, timeout=timeout)
    return player, sink


# --- scheduling logic, on a recording sink ---------------------------------------------------------
@pytest.mark.parametrize("hold", [True, False])
def test_plays_each_queued_bar_once_then_repeats_the_last(hold):
    bars = [random_bar(SMALL, seed) for seed in range(3)]
    player, sink = play(SMALL, bars, until_bar=5, hold=hold)
    played = np.array(player.played_bars[:5])
    np.testing.assert_array_equal(played, [bars[0], bars[1], bars[2], bars[2], bars[2]])
    assert played_events(player, 5) == reference_events(SMALL, played, hold=hold)
    assert sink.messages[0][1] == (0xC0, 0)  # the program change comes first
    assert left_sounding(m for _, m in sink.messages) == set()


def spans_as_events(spec, spans, channel=0, velocity=90):
    """``(global step, message)`` of notes ``(row, start, end)``: at each step the note-offs, then the note-ons."""
    offs = [(end, 0, (NOTE_OFF | channel, spec.low_note + row, 0)) for row, _, end in spans]
    ons = [(start, 1, (NOTE_ON | channel, spec.low_note + row, velocity)) for row, start, _ in spans]
    return [(step, message) for step, _, message in sorted(offs + ons)]


@pytest.mark.parametrize("release", [None, "ring", "voice:1", "gate:3", "voice:2,gate:12,free"])
def test_bars_of_onsets_sound_live_exactly_as_the_file_writes_them(tmp_path, release):
    bars = [random_bar(SMALL, seed, density=0.4) for seed in range(3)]
    player, sink = play(SMALL, bars, until_bar=5, cells="onsets", release=release)
    played = np.array(player.played_bars[:5])
    written = spans_as_events(SMALL, note_spans(played, SMALL, cells="onsets", release=release))
    assert played_events(player, 5) == [event for event in written if event[0] < 5 * SMALL.steps]
    assert left_sounding(m for _, m in sink.messages) == set()
    every = np.array(player.played_bars)
    read = read_midi_bars(player.save_midi(tmp_path / "live.mid"), SMALL, cells="onsets")
    np.testing.assert_array_equal(read.words, every[read.bar_number])
    assert set(read.bar_number.tolist()) == set(np.flatnonzero(every.any(axis=1)).tolist())


def test_a_release_for_a_player_of_sounding_cells_is_refused():
    with pytest.raises(ValueError, match="release= applies to bars of onsets"):
        MidiPlayer(SMALL, RecordingSink(), release="voice")


def test_the_newest_bar_queued_wins():
    bars = [random_bar(SMALL, seed) for seed in range(3)]
    sink = RecordingSink()
    with MidiPlayer(SMALL, sink, tempo_bpm=FAST) as player:
        player.queue_bar(bars[0])
        player.start()
        player.queue_bar(bars[1])
        player.queue_bar(bars[2])
        assert player.wait_for_bar(2, timeout=5)
    np.testing.assert_array_equal(player.played_bars[:3], [bars[0], bars[2], bars[2]])


def test_silence_until_a_bar_is_queued():
    with MidiPlayer(SMALL, RecordingSink(), tempo_bpm=FAST) as player:
        player.start()
        assert player.wait_for_bar(1, timeout=5)
    assert not np.any(player.played_bars[0])


def test_stop_turns_off_every_held_note():
    bar = np.full(SMALL.n_notes, SMALL.row_mask, dtype=np.uint64)  # every note held through the bar
    sink = RecordingSink()
    player = MidiPlayer(SMALL, sink, tempo_bpm=FAST)
    player.queue_bar(bar)
    player.start()
    assert player.wait_for_bar(0, timeout=5)
    assert left_sounding(m for _, m in sink.messages) == set(SMALL.pitches)
    player.stop()
    assert not player.running
    assert left_sounding(m for _, m in sink.messages) == set()


def test_pause_silences_and_resume_plays_on_with_held_notes_struck_again():
    bar = np.zeros(SMALL.n_notes, dtype=np.uint64)
    bar[1] = SMALL.row_mask
    sink = RecordingSink()
    with MidiPlayer(SMALL, sink, tempo_bpm=FAST) as player:
        player.queue_bar(bar)
        player.start()
        assert player.wait_for_bar(0, timeout=5)
        player.pause()
        assert player.paused
        give_up = time.monotonic() + 5
        while left_sounding(m for _, m in sink.messages) and time.monotonic() < give_up:
            time.sleep(0.01)
        assert left_sounding(m for _, m in sink.messages) == set()
        where, count = player.position, len(sink.messages)
        time.sleep(0.2)  # nearly a bar: nothing plays while paused
        assert (player.position, len(sink.messages)) == (where, count)
        player.resume()
        assert player.wait_for_bar(where[0] + 1, timeout=5)
        assert sink.messages[count][1] == (NOTE_ON, SMALL.low_note + 1, 90)
    assert left_sounding(m for _, m in sink.messages) == set()


class FailingSink(RecordingSink):
    """Fails once, on its ``fail_at``-th message, then records again."""

    def __init__(self, fail_at):
        super().__init__()
        self.fail_at = fail_at

    def send(self, message):
        self.fail_at -= 1
        if self.fail_at == 0:
            raise OSError("the MIDI device went away")
        super().send(message)


def test_an_error_in_the_player_turns_notes_off_and_is_raised_on_stop():
    bar = np.full(SMALL.n_notes, SMALL.row_mask, dtype=np.uint64)
    bar[0] = 0b01010101  # a note that starts again and again, so sends continue after the first step
    sink = FailingSink(fail_at=8)
    player = MidiPlayer(SMALL, sink, tempo_bpm=FAST)
    player.queue_bar(bar)
    player.start()
    player._thread.join(5)
    assert not player.running and isinstance(player.error, OSError)
    assert left_sounding(m for _, m in sink.messages) == set()
    with pytest.raises(PlaybackError, match="went away"):
        player.queue_bar(bar)
    with pytest.raises(PlaybackError, match="went away"):
        player.stop()


class StuckNoteSink(RecordingSink):
    """Cannot send the note-off of one pitch."""

    def __init__(self, pitch):
        super().__init__()
        self.pitch = pitch

    def send(self, message):
        if message[0] == NOTE_OFF and message[1] == self.pitch:
            raise OSError(f"cannot turn off {self.pitch}")
        super().send(message)


def test_a_note_off_that_fails_on_stop_does_not_keep_the_others_on_and_is_raised():
    sink = StuckNoteSink(pitch=SMALL.low_note + 1)
    player = MidiPlayer(SMALL, sink, tempo_bpm=FAST)
    player.queue_bar(np.full(SMALL.n_notes, SMALL.row_mask, dtype=np.uint64))
    player.start()
    assert player.wait_for_bar(0, timeout=5)
    with pytest.raises(PlaybackError, match=f"cannot turn off {SMALL.low_note + 1}"):
        player.stop()
    assert left_sounding(m for _, m in sink.messages) == {SMALL.low_note + 1}


def test_an_error_in_the_body_stops_the_player_and_propagates():
    sink = RecordingSink()
    with pytest.raises(KeyError), MidiPlayer(SMALL, sink, tempo_bpm=FAST) as player:
        player.queue_bar(np.full(SMALL.n_notes, SMALL.row_mask, dtype=np.uint64))
        player.start()
        player.wait_for_bar(0, timeout=5)
        raise KeyError("the agent crashed")
    assert not player.running and left_sounding(m for _, m in sink.messages) == set()


def test_a_slow_bar_callback_never_holds_the_music_back():
    seen = []

    def slow_callback(bar_index, words):
        time.sleep(0.3)  # longer than a bar
        seen.append((bar_index, player.position[0], words.copy()))

    bar = random_bar(SMALL, 1)
    with MidiPlayer(SMALL, RecordingSink(), tempo_bpm=FAST, on_bar_start=slow_callback) as player:
        player.queue_bar(bar)
        player.start()
        assert player.wait_for_bar(4, timeout=5)
        time.sleep(0.35)
    assert [index for index, _, _ in seen[:2]] == [0, 1]
    assert all(position > index for index, position, _ in seen)  # the player had moved on meanwhile
    np.testing.assert_array_equal(seen[0][2], bar)


def test_set_tempo_changes_the_step_length_from_the_next_step():
    bar = np.full(SMALL.n_notes, SMALL.row_mask, dtype=np.uint64)
    sink = RecordingSink()
    with MidiPlayer(SMALL, sink, tempo_bpm=FAST, hold=False, log_events=True) as player:
        player.queue_bar(bar)
        player.start()
        assert player.wait_for_bar(1, timeout=5)
        player.set_tempo(FAST / 2)
        assert player.tempo_bpm == FAST / 2
        assert player.wait_for_bar(3, timeout=5)
    deadlines = np.array(sorted({e.deadline for e in player.event_log if e.message[0] == NOTE_ON}))
    gaps = np.round(np.diff(deadlines), 9)
    assert set(gaps) == {round(step_seconds(SMALL, FAST), 9), round(step_seconds(SMALL, FAST / 2), 9)}
    assert np.all(np.diff(gaps) >= 0)  # fast steps, then slow ones, no going back


def test_save_midi_writes_the_bars_as_played(tmp_path):
    bars = [random_bar(SMALL, seed, density=0.5) for seed in range(2)]
    player, _ = play(SMALL, bars, until_bar=3)
    path = player.save_midi(tmp_path / "played.mid")
    read = read_midi_bars(path, SMALL)
    played = np.array(player.played_bars)
    np.testing.assert_array_equal(read.words, played[read.bar_number])
    assert set(range(len(played))) - set(read.bar_number.tolist()) <= {i for i, b in enumerate(played) if not b.any()}


def test_wait_for_bar_times_out_and_start_happens_once():
    with MidiPlayer(SMALL, RecordingSink(), tempo_bpm=4) as player:  # a bar a minute
        assert not player.wait_for_bar(0, timeout=0.01)  # not started
        player.start()
        assert not player.wait_for_bar(1, timeout=0.05)
        with pytest.raises(RuntimeError, match="already been started"):
            player.start()


@pytest.mark.parametrize(
    "words, message",
    [
        (np.zeros(SMALL.n_notes + 1, dtype=np.uint64), "shape"),
        (np.zeros((2, SMALL.n_notes), dtype=np.uint64), "one bar"),
        (np.array([1 << 8, 0, 0, 0], dtype=np.uint64), "beyond step 7"),
    ],
)
def test_queue_bar_refuses_what_is_not_a_bar(words, message):
    with pytest.raises(ValueError, match=message):
        MidiPlayer(SMALL, RecordingSink()).queue_bar(words)


def test_bad_player_settings_are_refused():
    with pytest.raises(ValueError, match="velocity"):
        MidiPlayer(SMALL, RecordingSink(), velocity=200)
    with pytest.raises(ValueError, match="tempo_bpm"):
        MidiPlayer(SMALL, RecordingSink()).set_tempo(0)


# --- real MIDI ports, over a private JACK server ----------------------------------------------------
@pytest.mark.jack
@pytest.mark.slow
def test_a_virtual_port_delivers_every_note_at_its_step(port_reader):
    spec = LaunchpadSpec()
    tempo = 150.0  # a bar in 1.6 s, a step 25 ms
    bars = [random_bar(spec, seed, density=0.2) for seed in (10, 11)]
    bars[0][0] |= np.uint64(1)  # a note at the very first step: the clock starts there
    reader = port_reader("test-reader-1")
    with RtMidiSink.open(None, api="jack", client_name="test-player-1", virtual_name="song") as sink:
        assert sink.port_name == "test-player-1:song"
        reader.port.open_port(reader.port.get_ports().index("test-player-1:song"))
        time.sleep(0.2)  # JACK connects on its next cycles
        player, _ = play(spec, bars, until_bar=3, sink=sink, tempo_bpm=tempo, timeout=10)
    received = [(t, m) for t, m in reader.read() if m[0] in (NOTE_ON, NOTE_OFF)]
    composition = np.array([bars[0], bars[1], bars[1]])  # bar 2 repeats bar 1: nothing new was queued
    np.testing.assert_array_equal(player.played_bars[:3], composition)
    expected = reference_events(spec, composition)
    assert [m for _, m in received[:len(expected)]] == [m for _, m in expected]
    # The player sent each message at its step...
    assert played_events(player, 3) == expected
    # ...and each arrived at its step: never early (within half a step of the step's time on the grid that
    # fits the arrivals best); a few may be late on a loaded machine, where even a real-time thread waits.
    step_s = step_seconds(spec, tempo)
    arrival = np.array([t for t, _ in received[:len(expected)]])
    at_step = np.array([step for step, _ in expected]) * step_s
    off_by = (arrival - at_step - np.median(arrival - at_step)) / step_s
    assert off_by.min() > -0.5, f"a message arrived {-off_by.min() * step_s * 1e3:.1f} ms before its step"
    on_time = np.abs(off_by) < 0.5
    assert on_time.mean() >= 0.95, (f"{np.sum(~on_time)} of {len(off_by)} messages arrived over half a step late, "
                                    f"up to {off_by.max() * step_s * 1e3:.1f} ms")
    assert left_sounding(m for _, m in received) == set()  # stop turned off what bar 3 began


@pytest.mark.jack
@pytest.mark.slow
def test_timing_benchmark_smoke(jack_server, benchmark_script):
    benchmark = benchmark_script("live_timing")
    results = benchmark.measure(bars=1, tempo_bpm=480, loads=("idle",), schedulers=("deadline", "naive"))
    assert [r["scheduler"] for r in results] == ["deadline", "naive"]
    for result in results:
        summary = benchmark.summary(result)
        assert len(result["arrival_ms"]) > 0 and 0 <= summary["p50"] <= summary["p99"] <= summary["max"]
