"""``python -m agents front``: every policy of both tasks, labelled by the registry, as a table and a figure."""

from agents import policies
from agents.eval import report
from agents.eval.front import evaluate_front


def test_the_front_of_both_tasks_is_a_table_and_a_figure(tmp_path):
    rows = evaluate_front(1, 35, 0, tasks={policies.LAUNCHPAD: ("noop",), policies.DJ: ("noop", "greedy")})
    assert list(rows) == ["noop (baseline) [Launchpad-v0]", "noop (baseline) [LaunchpadDJ-v0]",
                          "greedy (baseline) [LaunchpadDJ-v0]"]
    assert rows["noop (baseline) [LaunchpadDJ-v0]"]["heard_change_fraction"] == 0.0
    assert rows["greedy (baseline) [LaunchpadDJ-v0]"]["kind"] == "baseline"
    assert rows["noop (baseline) [Launchpad-v0]"]["task"] == "Launchpad-v0"
    table = report.front_table(rows)
    assert "| greedy | LaunchpadDJ-v0 | baseline |" in table and len(table.splitlines()) == 5
    report.plot_front(rows, tmp_path / "front.png")
    assert (tmp_path / "front.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
