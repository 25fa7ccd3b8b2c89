"""``python -m agents play`` stopped by SIGTERM or SIGHUP as by Ctrl-C: every note it started is ended at the
synthesizer (counted at a real JACK port) and the recording is written to --out."""

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from test_play_synth import JackReceiver

REPO = Path(__file__).resolve().parents[3]


def _hanging_notes(messages) -> dict:
    """(channel, pitch) -> note-ons not followed by a note-off (a note-on of velocity 0 is a note-off)."""
    sounding = Counter()
    for status, pitch, velocity in (m[:3] for m in messages if len(m) >= 3):
        if status & 0xF0 == 0x90 and velocity > 0:
            sounding[(status & 0x0F, pitch)] += 1
        elif status & 0xF0 in (0x80, 0x90):
            sounding[(status & 0x0F, pitch)] = max(sounding[(status & 0x0F, pitch)] - 1, 0)
    return {key: count for key, count in sounding.items() if count}


@pytest.mark.jack
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_ends_every_note_and_writes_the_recording(jack_server, tmp_path, synthetic_corpus_path, fast_bpm,
                                                         sig):
    synth = JackReceiver("synth", "in")
    out = tmp_path / "stopped.mid"
    command = [sys.executable, "-m", "agents", "play", "--headless", "--bars", "1000", "--bpm", str(fast_bpm),
               "--port", "synth:in", "--api", "jack", "--out", str(out), "--agent", "greedy", "--init", "triad",
               "--corpus", synthetic_corpus_path]
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # Two bars under way: notes are sounding when the signal comes.
        while sum(m[0] & 0xF0 == 0x90 for m in synth.messages) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.7)
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
        time.sleep(0.3)  # the last messages reach the port
    finally:
        if process.poll() is None:  # it ignored the signal: no player outlives its test
            process.kill()
            process.wait()
        synth.close()
    assert process.returncode == 130, err
    assert "play: interrupted" in err and "saved" in err
    assert sum(m[0] & 0xF0 == 0x90 and m[2] > 0 for m in synth.messages) >= 8
    assert _hanging_notes(synth.messages) == {}
    assert out.is_file() and out.stat().st_size > 0
