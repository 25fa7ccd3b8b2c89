"""``python -m agents play``: the interactive launchpad, played by you and an agent together.

A pygame window (:mod:`agents.play.window`) shows the button grid, the bar as a piano roll with a play
head, and the controls. You click buttons at any time; the agent presses one button per bar: any policy name of
:mod:`agents.policies` with ``--agent``, by default the first of :data:`agents.policies.PLAY_DEFAULTS` that plays
the corpus (:func:`default_agent_help` says who, in ``--help``). The music plays live
to a MIDI output port (``--port``, a virtual port a synth connects to, or ``--synth``:
:mod:`agents.play.synth`) and is recorded;
``--out song.mid`` saves the recording, ``--wav`` renders it.

``--headless --bars 32 --out song.mid --wav song.wav`` plays with no window and no waiting: the agent
presses once per bar for 32 bars and the song is written. Without ``--seed`` a seed is drawn and printed, so the
song can be made again. With ``--port`` a headless session plays live.
``--launchpad`` adds a Novation Launchpad (X or Mini MK3) as the controller (:mod:`agents.play.novation`).
``--clock-in`` follows a DAW's or drum machine's MIDI clock; ``--clock-out`` sends one (docs/play.md).
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from agents import policies
from agents.arguments import parse_dataclass
from agents.play.novation import NovationController
from agents.play.session import DEFAULT_TEMPO, SB3_ALGOS, PlayError, Session, make_agent
from agents.play.synth import open_player, start_synth
from agents.play.window import NoDisplayError, PlayWindow
from gym_launchpad.corpus import CorpusError
from gym_launchpad.midi.live import PlaybackError
from gym_launchpad.midi.ports import MidiPortError, open_clock_input


def default_agent_help() -> str:
    """Who plays without ``--agent``, said from :data:`agents.policies.PLAY_DEFAULTS` (the one place it is set)."""
    first, *others = policies.PLAY_DEFAULTS
    entries = {name: policies.REGISTRY[policies.ALIASES.get(name, name)] for name in policies.PLAY_DEFAULTS}
    tasks = {name: entry.tasks[0].split("/")[-1] for name, entry in entries.items()}
    return (f"default: {first} ({entries[first].kind}, {tasks[first]}); where it does not play the corpus, "
            + ", then ".join(f"{name} ({entries[name].kind}, {tasks[name]})" for name in others))


@dataclass
class PlayArgs:
    """The interactive launchpad, played by you and an agent together; see docs/play.md."""

    agent: str | None = field(default=None, metadata={
        "help": "a shipped agent (pretrained: the composer; explorer), a planner (navigator, beam, anneal; options as "
                "beam:width=64), the DJ task's hopper (planner) or dj (learned), a baseline (greedy, random, noop), a "
                f".safetensors file from `python -m agents train`, or an SB3 .zip model ({default_agent_help()})"})
    algo: str = field(default="dqn", metadata={"choices": SB3_ALGOS, "help": "the SB3 algorithm of a .zip model"})
    trust_pickle: bool = field(default=False, metadata={
        "help": "let --agent be an SB3 .zip from outside a training run folder: loading it unpickles code stored in "
                "it, so only for a file you trust"})
    no_agent: bool = field(default=False, metadata={
        "action": "store_true", "help": "start with the agent off (press A to switch it on)"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (none given: the shipped Bach chorales)"})
    init: str = field(default="triad", metadata={"choices": ("triad", "empty", "random"), "help": "the starting state"})
    seed: int | None = field(default=None, metadata={
        "help": "seed of the starting state (none given: one drawn and printed, to play the song again)"})
    bpm: float = field(default=DEFAULT_TEMPO, metadata={"help": "tempo in quarter notes a minute"})
    program: int = field(default=0, metadata={"help": "General MIDI program (instrument) 0-127"})
    port: str | None = field(default=None, metadata={
        "help": "MIDI output port to play to (a part of its name will do); none given: open a virtual port "
                "'gym_launchpad:out' that a synthesizer connects to"})
    synth: bool = field(default=False, metadata={
        "help": "start FluidSynth with a General MIDI soundfont (--soundfont) and play to it"})
    api: str | None = field(default=None, metadata={
        "help": "MIDI system: auto, alsa, jack, coremidi (none given: $GYM_LAUNCHPAD_MIDI_API, else auto)"})
    clock_in: str | None = field(default=None, metadata={
        "nargs": "?", "const": "", "metavar": "PORT",
        "help": "follow the MIDI clock a DAW or drum machine sends (start, stop, continue; bar lines on its bar lines, "
                "at its tempo) from the output port PORT (part of its name will do); --clock-in alone: open a "
                "virtual input 'gym_launchpad-clock:in' to send it to"})
    clock_out: bool = field(default=False, metadata={
        "help": "lead: send MIDI clock (24 pulses a quarter, start and stop) with the notes"})
    out: Path | None = field(default=None, metadata={"help": "save the recording to this .mid file on exit"})
    wav: Path | None = field(default=None, metadata={"help": "also render the recording to this .wav file"})
    soundfont: str | None = field(default=None, metadata={
        "help": ".sf2 soundfont for --wav (none given: a system GM one)"})
    headless: bool = field(default=False, metadata={"help": "no window: play --bars bars and write --out"})
    bars: int = field(default=32, metadata={"help": "bars a headless session plays"})
    launchpad: str | None = field(default=None, metadata={
        "nargs": "?", "const": "", "metavar": "PORT",
        "help": "use a Novation Launchpad X or Mini MK3 as the controller (PORT: part of its MIDI port name; "
                "--launchpad alone: the first one found)"})
    launchpad_model: str | None = field(default=None, metadata={
        "choices": ("x", "mini"), "help": "which Launchpad (none given: told by its port name)"})
    frames: int | None = field(default=None, metadata={"help": "close the window after this many frames"})
    screenshot: Path | None = field(default=None, metadata={"help": "save a picture of the window on exit"})


def parse_args(argv: list[str]) -> PlayArgs:
    return parse_dataclass(PlayArgs, argv, "python -m agents play")


#: Signals that end a session as Ctrl-C does (a terminal closing, `kill`, a service manager stopping it). SIGINT
#: is among them because a shell starts background jobs with it ignored, and Python then never turns it into
#: KeyboardInterrupt: re-armed here, Ctrl-C or `kill -INT` stops a backgrounded player too.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _stop_like_ctrl_c(signum, frame):
    # Once: a second signal during the cleanup (notes off, --out written) must not cut it short.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Python delivers signals to the main thread only, and only it may install handlers: main() called from another
    # thread (an app embedding the player) leaves the signals to that app.
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _stop_like_ctrl_c) for sig in STOP_SIGNALS} if on_main_thread else {}
    try:
        return _main(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _main(args) -> int:
    session, code = None, 0
    try:
        _check_args(args)
        agent = make_agent(args.agent, args.corpus, args.algo, args.init, trust_pickle=args.trust_pickle)
        offline = (args.headless and args.port is None and not args.synth and args.launchpad is None
                   and args.clock_in is None)
        drawn = args.seed is None
        if drawn:
            args.seed = secrets.randbelow(2**31)
        with contextlib.ExitStack() as stack:
            player = None if offline else _open_player(args, agent.env.launchpad, stack, agent.env.corpus.cells)
            session = Session(agent, agent_on=not args.no_agent, tempo_bpm=args.bpm, player=player, seed=args.seed,
                              out=args.out, wav=args.wav, soundfont=args.soundfont, program=args.program)
            controller = _open_controller(args, session, stack)
            print(f"play: {agent.label} on {agent.env.corpus!r}", file=sys.stderr)
            if drawn:
                print(f"play: seed {args.seed} (--seed {args.seed} plays this start again)", file=sys.stderr)
            if offline:
                session.play_offline(args.bars)
            else:
                player.on_bar_start = session.on_bar_start
                player.queue_bar(session.env.words)
                player.start()
                if args.headless:
                    _run_live_headless(session, controller, args.bars)
                else:
                    _run_window(session, controller, args)
                print(f"play: {session.timing.summary(session.bar_seconds)}", file=sys.stderr)
    except (PlayError, NoDisplayError, CorpusError, MidiPortError) as error:
        print(f"play: {error}", file=sys.stderr)
        code = 2
    except PlaybackError as error:  # the MIDI port went away mid-session (a synth quit, JACK stopped)
        print(f"play: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP: the player has sent every note off on the way out
        print("play: interrupted", file=sys.stderr)
        code = 130
    finally:
        if session is not None and args.out is not None and len(session.recorded) > session.saved_bars:
            session.save()
            print(f"play: {session.message}", file=sys.stderr)
    return code


def _check_args(args) -> None:
    if args.bars < 1:
        raise PlayError(f"--bars must be >= 1, got {args.bars}")
    if args.clock_in is not None and args.clock_out:
        raise PlayError("--clock-in follows a clock, --clock-out sends one: give one of them")
    if args.synth and args.port is not None:
        raise PlayError("--synth plays to the FluidSynth it starts: leave --port out, or --synth")
    if args.headless and args.out is None and args.port is None and not args.synth:
        raise PlayError("--headless needs somewhere for the music: --out song.mid, or --port NAME or --synth "
                        "to play live")
    if args.wav is not None and args.out is None:
        raise PlayError("--wav renders the recording saved to --out: give --out song.mid too")
    if args.out is not None and args.out.suffix.lower() not in (".mid", ".midi"):
        raise PlayError(f"--out {args.out} must be a .mid file")
    if args.out is not None and not args.out.parent.is_dir():
        raise PlayError(f"--out {args.out}: the folder {args.out.parent} does not exist")


def _open_player(args, spec, stack, cells: str = "sounding"):
    if args.synth:  # the synth's port and MIDI system are the session's from here on, the controller's too
        args.port, args.api = start_synth(args.soundfont, args.api, stack)
    clock = None
    if args.clock_in is not None:
        clock = stack.enter_context(open_clock_input(args.clock_in or None, api=args.api))
        print(f"play: following the MIDI clock on {clock.port_name!r}; waiting for its start", file=sys.stderr)
    return open_player(spec, stack, port=args.port, api=args.api, out=args.out, tempo_bpm=args.bpm,
                       program=args.program, clock=clock, send_clock=args.clock_out, cells=cells)


def _open_controller(args, session, stack):
    if args.launchpad is None:
        return None
    controller = NovationController.open(session, args.launchpad or None, model=args.launchpad_model, api=args.api)
    stack.callback(controller.close)
    controller.start()
    print(f"play: {controller.model.name} on {controller.port_name!r} is the controller", file=sys.stderr)
    return controller


def _run_live_headless(session: Session, controller, bars: int, poll_s: float = 0.005) -> None:
    while session.bars_played < bars:
        session.tick()
        if controller is not None:
            controller.poll()
        time.sleep(poll_s)


def _run_window(session: Session, controller, args) -> None:
    window = PlayWindow(session, controller)
    try:
        window.run(max_frames=args.frames)
    finally:
        if args.screenshot is not None:
            print(f"play: wrote {window.screenshot(args.screenshot)}", file=sys.stderr)
        window.close()
