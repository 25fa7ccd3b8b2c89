import numpy as np
import pytest

from gym_launchpad.launchpad import NOOP, LaunchpadSpec, LaunchpadState, press_rows, rotate_words, state_indices

ALL_SPECS = [LaunchpadSpec(n, b, 47) for b in range(1, 7) for n in (1, 3)] + [LaunchpadSpec()]


@pytest.mark.parametrize("bar_bits", range(1, 7))
def test_basis_patterns_partition_the_bar(bar_bits):
    spec = LaunchpadSpec(1, bar_bits, 60)
    rolls = spec.words_to_roll(spec.pattern_words[:, None])[:, 0]  # (B+1, steps)
    assert (rolls.sum(axis=0) == 1).all(), "every step belongs to exactly one pattern"
    t = np.arange(spec.steps)
    assert rolls[0].nonzero()[0].tolist() == [0]
    for k in range(1, bar_bits + 1):
        p = 2**k
        assert rolls[k].nonzero()[0].tolist() == t[t % p == p // 2].tolist()


@pytest.mark.parametrize("spec", ALL_SPECS, ids=str)
def test_action_decoding_round_trips(spec):
    assert spec.n_actions == spec.n_notes * (2 * spec.bar_bits + 1) + 1
    seen = set()
    for a in range(spec.n_actions):
        kind, note, arg = spec.decode_action(a)
        if kind == "toggle":
            assert spec.toggle_action(note, arg) == a
        elif kind == "offset":
            assert spec.offset_action(note, arg) == a
        else:
            assert a == spec.noop_action
        seen.add((kind, note, arg))
    assert len(seen) == spec.n_actions


def test_default_action_layout_matches_design():
    spec = LaunchpadSpec()
    assert spec.n_actions == 313
    assert spec.decode_action(0) == ("toggle", 0, 0)
    assert spec.decode_action(7 * 5 + 3) == ("toggle", 5, 3)
    assert spec.decode_action(24 * 7) == ("offset", 0, 0)
    assert spec.decode_action(24 * 7 + 6 * 2 + 5) == ("offset", 2, 5)
    assert spec.decode_action(312) == ("noop", -1, -1)


@pytest.mark.parametrize("bad", [-1, 313, 2.5, "3", None, [1]])
def test_bad_actions_are_rejected(bad):
    with pytest.raises(ValueError, match="action"):
        LaunchpadSpec().check_action(bad)


@pytest.mark.parametrize("spec", ALL_SPECS, ids=str)
def test_row_table_is_np_roll_of_the_pattern_union(spec):
    rng = np.random.default_rng(0)
    rolls = spec.words_to_roll(spec.pattern_words[:, None])[:, 0]
    for _ in range(50):
        mask = int(rng.integers(0, 2**spec.n_patterns))
        offset = int(rng.integers(0, spec.steps))
        row = np.zeros(spec.steps, dtype=bool)
        for k in range(spec.n_patterns):
            if mask >> k & 1:
                row |= rolls[k]
        expected = np.roll(row, offset)
        got = spec.words_to_roll(spec.row_table[mask, offset])
        assert np.array_equal(got, expected)


def test_rotate_words_full_turn_is_identity():
    words = np.array([1, 0x8000000000000000, 0xDEADBEEF], dtype=np.uint64)
    assert np.array_equal(rotate_words(words, 64, 6), words)
    assert np.array_equal(rotate_words(words, 0, 6), words)
    assert rotate_words(np.uint64(0x8000000000000000), 1, 6) == 1


@pytest.mark.parametrize("spec", ALL_SPECS, ids=str)
def test_apply_matches_decoded_semantics(spec):
    rng = np.random.default_rng(1)
    state = LaunchpadState.empty(spec)
    for _ in range(200):
        a = int(rng.integers(spec.n_actions))
        before = state.copy()
        row = state.apply(a)
        kind, note, arg = spec.decode_action(a)
        if kind == "noop":
            assert row == -1 and state == before
            continue
        assert row == note
        expected_toggles, expected_offsets = before.toggles, before.offsets.copy()
        if kind == "toggle":
            expected_toggles[note, arg] = ~expected_toggles[note, arg]
        else:
            expected_offsets[note] = (expected_offsets[note] + 2**arg) % spec.steps
        assert np.array_equal(state.toggles, expected_toggles)
        assert np.array_equal(state.offsets, expected_offsets)


def test_roll_words_round_trip():
    spec = LaunchpadSpec()
    roll = np.random.default_rng(2).random((5, 24, 64)) < 0.3
    assert np.array_equal(spec.words_to_roll(spec.roll_to_words(roll)), roll)


def test_from_toggles_checks_shapes_and_values():
    spec = LaunchpadSpec()
    with pytest.raises(ValueError, match="toggles must have shape"):
        LaunchpadState.from_toggles(spec, np.zeros((24, 6)), np.zeros(24, int))
    with pytest.raises(ValueError, match="offsets must have shape"):
        LaunchpadState.from_toggles(spec, np.zeros((24, 7)), np.zeros(23, int))
    with pytest.raises(ValueError, match="offsets must be integers in"):
        LaunchpadState.from_toggles(spec, np.zeros((24, 7)), np.full(24, 64))
    with pytest.raises(ValueError, match="binary"):
        LaunchpadState.from_toggles(spec, np.full((24, 7), 2), np.zeros(24, int))


@pytest.mark.parametrize("kwargs, message", [
    ({"n_notes": 0}, "n_notes"), ({"bar_bits": 7}, "bar_bits"), ({"bar_bits": 0}, "bar_bits"),
    ({"low_note": 120}, "MIDI 0..127"),
])
def test_spec_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LaunchpadSpec(**kwargs)


@pytest.mark.parametrize("spec", [LaunchpadSpec(3, 2, 60), LaunchpadSpec()], ids=str)
def test_pressing_many_rows_at_once_is_pressing_each_state(spec):
    rng = np.random.default_rng(0)
    actions = rng.integers(0, spec.n_actions, 200)
    actions[::10] = spec.noop_action
    states = [LaunchpadState(spec, rng.integers(0, 1 << spec.n_patterns, spec.n_notes),
                             rng.integers(0, spec.steps, spec.n_notes)) for _ in actions]
    rows = spec.action_note[actions]
    masks = np.array([s.masks[n] for s, n in zip(states, rows, strict=True)])
    offsets = np.array([s.offsets[n] for s, n in zip(states, rows, strict=True)])
    masks_after, offsets_after = press_rows(spec, actions, masks, offsets)
    for state, action, row, mask, offset in zip(states, actions, rows, masks_after, offsets_after, strict=True):
        assert state.apply(int(action)) == (-1 if action == spec.noop_action else row)
        assert (state.masks[row], state.offsets[row]) == (mask, offset)


@pytest.mark.parametrize("spec", ALL_SPECS, ids=str)
def test_row_actions_are_the_presses_of_each_row(spec):
    assert spec.row_actions.shape == (spec.n_notes, 2 * spec.bar_bits + 1)
    for row, actions in enumerate(spec.row_actions):
        assert sorted(actions) == [a for a in range(spec.n_actions) if spec.decode_action(a)[1] == row]
        assert (spec.action_kind[actions] != NOOP).all()


def test_state_indices_are_the_states_index():
    spec = LaunchpadSpec(2, 2, 60)
    states = [LaunchpadState.from_index(spec, i) for i in range(0, spec.n_states, 37)]
    masks, offsets = np.stack([s.masks for s in states]), np.stack([s.offsets for s in states])
    assert state_indices(spec, masks, offsets).tolist() == [s.index for s in states]
    with pytest.raises(ValueError, match="int64"):
        state_indices(LaunchpadSpec(), np.zeros(24, int), np.zeros(24, int))
