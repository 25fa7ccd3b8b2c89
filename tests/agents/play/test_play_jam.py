"""Jamming live: a person clicks buttons in the play window between two bars, over a real JACK server; the
agent plays on from the state it finds, the listener hears every note of both players, and the recording
holds the song as heard, both players' presses included."""

import collections
import contextlib
import time

import numpy as np
import pytest
from test_play_synth import JackReceiver  # tests/agents/play is on sys.path (pytest's default "prepend" mode)

from agents.play.session import Session, make_agent
from agents.play.synth import open_player
from agents.play.window import PlayWindow
from gym_launchpad.grid import button_action
from gym_launchpad.midi.live import NOTE_ON

#: Bar -> the button (row, column) the person clicks while that bar plays: a toggle, an offset, a toggle.
PRESSES = {2: (3, 1), 4: (10, 9), 5: (17, 4)}
BARS = 8


@pytest.mark.jack
@pytest.mark.slow
def test_a_persons_clicks_between_bars_are_heard_recorded_and_played_on_from(pygame_dummy, jack_server, tmp_path,
                                                                            fast_bpm, read_bars):
    agent = make_agent("pretrained")
    spec = agent.env.launchpad
    out = tmp_path / "jam.mid"
    listener = JackReceiver("listener", "in")
    heard_after_click, clicked = {}, set()
    try:
        with contextlib.ExitStack() as stack:
            player = open_player(spec, stack, port="listener:in", api="jack", out=out, tempo_bpm=fast_bpm,
                                 program=0)
            session = Session(agent, tempo_bpm=fast_bpm, player=player, seed=100, out=out)
            window = PlayWindow(session)
            player.on_bar_start = session.on_bar_start
            player.queue_bar(session.env.words)
            player.start()
            deadline = time.perf_counter() + 3 * BARS * session.bar_seconds
            while session.bars_played <= BARS and time.perf_counter() < deadline:  # bar BARS starts: the rest ended
                bar = session.bars_played
                if bar in PRESSES and bar not in clicked:
                    clicked.add(bar)
                    pos = window.button_rect(*PRESSES[bar]).center
                    pygame_dummy.event.post(pygame_dummy.event.Event(pygame_dummy.MOUSEBUTTONDOWN, pos=pos, button=1))
                    window.frame()  # the click is handled as the window handles every click
                    assert session.last_human_action == button_action(spec, *PRESSES[bar])
                    heard_after_click[bar] = session.env.words.copy()
                window.frame()
                time.sleep(0.005)
        time.sleep(0.2)  # the last notes-off cross JACK
    finally:
        listener.close()
    assert session.bars_played > BARS and clicked == set(PRESSES)
    # The agent pressed once at every bar line, from the state the person left: nothing waited for it.
    assert session.agent_actions == session.bars_played
    session.save()
    recorded = read_bars(out, spec, len(session.recorded))
    np.testing.assert_array_equal(recorded, np.array(session.recorded))
    # The bar heard after a click is the launchpad as the click left it (the agent presses at the bar line after).
    for bar, words in heard_after_click.items():
        np.testing.assert_array_equal(recorded[bar], words)
    # The listener heard every note the recording holds in the bars that were played to their end, and beyond
    # them only the start of the bar the player was stopped in.
    import pretty_midi

    bar_s = session.bar_seconds
    notes = [note for instrument in pretty_midi.PrettyMIDI(str(out)).instruments for note in instrument.notes]
    written = collections.Counter(note.pitch for note in notes if note.start < BARS * bar_s - 1e-6)
    last_bar = {note.pitch for note in notes if note.start >= BARS * bar_s - 1e-6}
    received = collections.Counter(m[1] for m in listener.messages if m[0] & 0xF0 == NOTE_ON and m[2] > 0)
    assert written and not written - received
    assert set(received - written) <= last_bar
