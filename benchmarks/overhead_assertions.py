"""The assertions ``benchmarks/overhead.py --assertions N`` gives each of its cases (issue 23).

Ten realistic assertions per case, in the mix a customer-service suite writes: four in the
manifest's ``assert:`` that every case carries (a critical must-not on cash on delivery, no
competitor named through the manifest's ``entities:``, no phone number, a length bound) and six
of the case's own (contains, starts_with, contains_any, a regex, a must-not, an ``any`` group).
Half the cases write the same six (one spec: parsed once, shared); the other half write values
of their own (every spec distinct: parsed and built once per case), so collection pays what a
suite whose cases each say something different pays. Every assertion passes on :data:`ANSWER`
(the instant backend's answer to every case), so a run judges all of them: a failed ``all``
member would not stop the others being evaluated, but a pass is what a healthy suite sees.

With N below 10, the first N of the list: the manifest's four first, then the case's own.
"""

from __future__ import annotations

from typing import Any

ANSWER = (
    "Refunds are accepted within 30 days of delivery. Please email our support team for help "
    "with your return."
)
"""What the instant backend answers every case, in both variants of a comparison."""

ENTITIES: dict[str, dict[str, list[str]]] = {
    "competitors": {
        "PayPal": ["贝宝"],
        "Amazon": ["亚马逊"],
        "Taobao": ["淘宝"],
        "JD": ["京东", "jd.com"],
    }
}
"""The manifest's named list that the ``mentions`` assertion reads."""

SUITE_ASSERTIONS: list[dict[str, Any]] = [
    {"type": "not-contains", "value": "cash on delivery", "critical": True, "name": "no COD"},
    {"type": "not-mentions", "value": "competitors", "name": "no competitor"},
    {"type": "not-regex", "value": r"\+?\d[\d -]{7,}\d", "name": "no phone number"},
    {"type": "length", "max": 400, "name": "short"},
]
"""Every case carries these first (the manifest's ``assert:``)."""


def case_assertions(i: int) -> list[dict[str, Any]]:
    """Case *i*'s own six: the same for even *i*, values of its own for odd *i* (each still
    passing on :data:`ANSWER`)."""
    if i % 2 == 0:
        return [
            {"type": "contains", "value": "30 days"},
            {"type": "starts_with", "value": ["Refunds", "Returns"]},
            {"type": "contains_any", "value": ["email", "support"]},
            {"type": "regex", "value": r"within \d+ days"},
            {"type": "not-contains", "value": "voucher"},
            {"any": [{"type": "contains", "value": "support"}, {"type": "regex", "value": "help"}]},
        ]
    return [
        {"type": "contains", "value": "30 days", "name": f"period {i}"},
        {"type": "starts_with", "value": ["Refunds", f"Order {i}"]},
        {"type": "contains_any", "value": ["email", f"ticket {i}"]},
        {"type": "regex", "value": rf"within (\d+|{i}) days"},
        {"type": "not-contains", "value": f"voucher {i}"},
        {
            "any": [
                {"type": "contains", "value": f"agent {i}"},
                {"type": "regex", "value": "help|assist"},
            ]
        },
    ]


def split(count: int) -> tuple[int, int]:
    """How many of *count* assertions the manifest carries, and how many each case."""
    if not 0 <= count <= 10:
        raise ValueError(f"--assertions takes 0 to 10, got {count}")
    suite = min(count, len(SUITE_ASSERTIONS))
    return suite, count - suite
