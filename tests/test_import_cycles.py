"""No import circles between modules, imports inside functions counted (issue #20): import-linter's contracts
keep the packages' layers; this walks every module pair, which its acyclic_siblings contract does not."""

import pytest

grimp = pytest.importorskip("grimp")


@pytest.mark.parametrize("package", ["gym_launchpad", "agents"])
def test_no_module_imports_itself_back(package):
    graph = grimp.build_graph(package)
    circles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(imported, module)
            if back:
                circles.add((module, *back))
    assert not circles, sorted(circles)
