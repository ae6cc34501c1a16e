"""Chunk scheduling: which golden tests pytest-xdist must keep together on one worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.engine.scheduling import chunk_groups, metric_group

MOD = "model_tests/test_golden.py"


def case(suite: str, case_id: str) -> str:
    return f"{MOD}::test_case[{suite}/{case_id}]"


def metric(test_id: str) -> str:
    return f"{MOD}::test_metric[{test_id}]"


def members(groups: dict[str, str]) -> dict[str, list[str]]:
    """Group name -> node ids, in input order (group names themselves are not the contract)."""
    out: dict[str, list[str]] = {}
    for nodeid, group in groups.items():
        out.setdefault(group, []).append(nodeid)
    return out


def test_cases_of_a_suite_are_cut_in_order() -> None:
    ids = [case("shop", f"q{i}") for i in range(7)]
    groups = chunk_groups(ids, 3)
    assert set(groups) == set(ids)
    chunks = list(members(groups).values())
    assert chunks == [ids[0:3], ids[3:6], ids[6:7]]


def test_chunk_size_one_and_larger_than_suite() -> None:
    ids = [case("shop", f"q{i}") for i in range(4)]
    assert len(set(chunk_groups(ids, 1).values())) == 4
    assert len(set(chunk_groups(ids, 100).values())) == 1


def test_suites_are_counted_independently_even_when_interleaved() -> None:
    ids = [
        case("a", "1"),
        case("b", "1"),
        case("a", "2"),
        case("b", "2"),
        case("a", "3"),
        case("b", "3"),
    ]
    chunks = list(members(chunk_groups(ids, 2)).values())
    assert sorted(chunks) == sorted(
        [
            [case("a", "1"), case("a", "2")],
            [case("a", "3")],
            [case("b", "1"), case("b", "2")],
            [case("b", "3")],
        ]
    )


def test_metric_tests_are_one_group_per_suite() -> None:
    ids = [
        case("shop", "q1"),
        metric("shop::accuracy"),
        metric("shop::accuracy::no_drop"),
        metric("shop::rougeL"),
        metric("intents::f1_macro"),
    ]
    groups = chunk_groups(ids, 10)
    assert groups[metric("shop::accuracy")] == metric_group("shop")
    assert groups[metric("shop::accuracy::no_drop")] == metric_group("shop")
    assert groups[metric("shop::rougeL")] == metric_group("shop")
    assert groups[metric("intents::f1_macro")] == metric_group("intents")
    assert metric_group("shop") != metric_group("intents")
    assert groups[case("shop", "q1")] not in {metric_group("shop"), metric_group("intents")}


def test_other_node_ids_are_absent() -> None:
    ids = [
        "tests/golden/test_checks.py::test_exact",
        "tests/golden/test_checks.py::test_param[1-2]",
        "tests/golden/test_checks.py::test_param[en]",
        f"{MOD}::test_case",
        case("shop", "q1"),
    ]
    assert set(chunk_groups(ids, 4)) == {case("shop", "q1")}


def test_other_tests_do_not_shift_the_chunks() -> None:
    plain = [case("shop", f"q{i}") for i in range(4)]
    mixed = [plain[0], "tests/test_x.py::test_y", plain[1], plain[2], "t.py::z[1]", plain[3]]
    assert list(members(chunk_groups(mixed, 2)).values()) == list(
        members(chunk_groups(plain, 2)).values()
    )


@pytest.mark.parametrize(
    "case_id",
    [
        "user@example.com",
        "a::b",
        "\\u9000\\u6b3e-1",  # pytest escapes non-ascii ids: 退款-1
        "x-1.2_3",
    ],
)
def test_case_ids_with_unusual_characters(case_id: str) -> None:
    ids = [case("cs_zh", "first"), case("cs_zh", case_id), case("cs_zh", "third")]
    groups = chunk_groups(ids, 2)
    assert set(groups) == set(ids)
    assert groups[ids[0]] == groups[ids[1]] != groups[ids[2]]


def test_same_ids_give_same_groups_on_every_worker() -> None:
    ids = [case("s", str(i)) for i in range(10)] + [metric("s::accuracy")]
    assert chunk_groups(ids, 3) == chunk_groups(list(ids), 3)


@pytest.mark.parametrize(
    "test_id", ["intents::f1[refund]", "intents::f1[refund]::no_drop", "intents::evaluate:m[k]"]
)
def test_metric_names_with_brackets_join_the_metric_group(test_id: str) -> None:
    groups = chunk_groups([metric(test_id)], 4)
    assert groups.get(metric(test_id)) == metric_group("intents")


def test_foreign_ids_that_look_like_case_keys_are_absent() -> None:
    foreign = "tests/golden/test_loaders.py::test_reads[shop/cases.csv]"
    metric_like = "tests/test_cli.py::test_parse[shop::sub]"
    golden = [case("shop", f"q{i}") for i in range(4)]
    keys = {f"shop/q{i}" for i in range(4)} | {"shop::accuracy"}
    groups = chunk_groups([foreign, metric_like, *golden], 2, keys)
    assert foreign not in groups
    assert metric_like not in groups
    assert list(members(groups).values()) == list(members(chunk_groups(golden, 2)).values())


def test_cases_whose_ids_are_not_their_test_ids_are_chunked_by_their_test_keys(
    tmp_path: Path,
) -> None:
    import json

    from releasegate.golden.io import load_cases

    ids = ["退款 问题/1", "a::b[1]", "a b", "a/b", "q5"]
    path = tmp_path / "odd.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "input": "x", "expected": "y"}) + "\n" for i in ids),
        encoding="utf-8",
    )
    cases = load_cases(path, suite="odd")
    nodeids = [case("odd", c.test_id) for c in cases]
    golden = {c.test_key for c in cases}
    groups = chunk_groups(nodeids, 2, golden)
    assert list(members(groups).values()) == [nodeids[0:2], nodeids[2:4], nodeids[4:5]]
