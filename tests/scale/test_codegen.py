"""Functions written out as source: names are checked, the defined function comes back."""

import pytest

from job.selectors import _row_builder
from scale.codegen import define, identifier


@pytest.mark.parametrize("name", ["class", "a-b", "1a", "a b", "", "id;x"])
def test_identifier_refuses_what_cannot_be_written_by_name(name):
    with pytest.raises(TypeError, match="is not an identifier"):
        identifier(name)


def test_identifier_returns_a_name_it_accepts():
    assert identifier("job_type_id") == "job_type_id"


def test_define_returns_the_function_its_source_defines():
    double = define("def double(x):\n    return x * k\n", filename="<test>", namespace={"k": 2})
    assert double(3) == 6
    assert double.__name__ == "double"
    assert double.__code__.co_filename == "<test>"


def test_row_builder_nests_objects_and_leaves_a_missing_ones_children_out():
    build = _row_builder(
        [
            (None, None, None, ("id",), 0),
            ("event", None, "event", ("id", "type"), 1),
            ("event__rule", "event", "rule", ("id",), 3),
        ],
        name="test rows",
    )
    with_rule, without_event, without_rule = build(
        [(1, 10, "PARSE", 100), (2, None, None, None), (3, 11, "INGEST", None)]
    )
    assert (with_rule.id, with_rule.event.type, with_rule.event.rule.id) == (1, "PARSE", 100)
    assert vars(with_rule.event.rule) == {"id": 100}
    assert (without_event.id, without_event.event) == (2, None)
    assert (without_rule.event.id, without_rule.event.rule) == (11, None)
