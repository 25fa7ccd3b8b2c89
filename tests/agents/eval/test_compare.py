"""``python -m agents compare``: one protocol for every kind of policy, the table, the JSON and the barrier figure."""

import json

import matplotlib.image
import pytest

from agents.eval import compare


@pytest.mark.slow
def test_compare_tables_kinds_and_the_ceiling_and_appends_rows(tmp_path, capsys):
    out = tmp_path / "compare"
    assert compare.main(["greedy", "navigator", "--seeds", "2", "--bars", "40", "--epsilons", "0", "0.5",
                         "--presses", "30", "--out", str(out)]) == 0
    document = json.loads((out / "compare.json").read_text())
    rows = {row["policy"]: row for row in document["rows"]}
    assert {name: row["kind"] for name, row in rows.items()} == {"greedy": "baseline", "navigator": "planner"}
    # The barrier: greedy settles short of the ceiling, the navigator walks to it from both starts.
    assert rows["greedy"]["epsilons"]["0"]["reached_ceiling"] == 0
    assert rows["navigator"]["epsilons"]["0"]["reached_ceiling"] == 2
    assert rows["navigator"]["epsilons"]["0"]["final_distance"] == 0
    navigator = rows["navigator"]["epsilons"]
    assert navigator["0.5"]["reward_per_step"] < navigator["0"]["reward_per_step"]  # random presses knock it off
    assert len(document["distances"]["navigator"]) == 2 and len(document["distances"]["navigator"][0]) == 30
    printed = capsys.readouterr().out
    assert "| navigator | planner |" in printed and (out / "compare.md").read_text().count("\n| ") == 3
    image = matplotlib.image.imread(out / "fig_barrier.png")
    assert image.shape[0] > 200 and image[..., :3].std() > 0.05

    assert compare.main(["noop", "--seeds", "2", "--bars", "40", "--epsilons", "0", "0.5", "--presses", "30",
                         "--epsilon-zero-only", "noop", "--out", str(out), "--append"]) == 0
    table = (out / "compare.md").read_text()
    assert "| greedy | baseline |" in table and "| noop | baseline | -" in table and "not run" in table
    with pytest.raises(SystemExit, match="was played with"):
        compare.main(["noop", "--seeds", "3", "--bars", "40", "--out", str(out), "--append"])
