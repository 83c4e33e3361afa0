"""Lines of `hubscan explain`: what could not be read of a version (safely for a terminal), and where
each data-information point came from."""

from __future__ import annotations

from hubscan.explain import MAX_PROBLEMS_SHOWN, _data_lines, _problem_lines


def test_problems_are_listed_with_control_characters_neutralised():
    ev = {"problems": [{"code": "yaml-invalid", "message": "ScannerError near '\x1b]0;pwned\x07' line 3"}]}
    lines = _problem_lines(ev)
    assert lines[0] == "  reading problems:"
    assert lines[1] == "    - yaml-invalid: ScannerError near '?]0;pwned?' line 3"
    assert not any(ch in "".join(lines) for ch in "\x1b\x07")


def test_only_the_first_problems_are_shown_and_the_rest_counted():
    ev = {"problems": [{"code": f"code-{i}", "message": "m"} for i in range(MAX_PROBLEMS_SHOWN + 3)]}
    lines = _problem_lines(ev)
    assert [line for line in lines if line.startswith("    - ")] == [f"    - code-{i}: m" for i in range(MAX_PROBLEMS_SHOWN)]
    assert lines[-1].startswith("    ... and 3 more")


def test_a_version_read_cleanly_adds_no_lines():
    assert _problem_lines({"problems": []}) == [] and _problem_lines({}) == []


def test_sources_named_across_documents_get_a_line_of_their_own():
    info = {"score": 48, "sufficient": False, "points": [
        {"signal": "named-sources", "points": 15, "source": "model card (8); dataset card EleutherAI/pile (15)"},
        {"signal": "size", "points": 10, "source": "model card"},
        {"signal": "documentation", "points": 8, "source": "dataset card EleutherAI/pile"},
    ]}
    assert _data_lines({"data_information": info}) == [
        "  data information 48/100 (insufficient), from:",
        "    named-sources 15 from model card (8); dataset card EleutherAI/pile (15)",
        "    model card: size 10",
        "    dataset card EleutherAI/pile: documentation 8",
    ]
