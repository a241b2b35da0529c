"""Chinese line breaking (app/reports/linebreak.py), on made-up widths: every character 10 wide."""

from __future__ import annotations

from app.reports.linebreak import break_lines, opportunities


def lines(text: str, chars_per_line: int) -> list[str]:
    return [line for _, line in break_lines(text, [10.0] * len(text), [10.0 * chars_per_line])]


def test_no_closing_mark_starts_a_line_and_no_opening_mark_ends_one():
    text = "书记亲自讲授专题党课，并对每位成员的发言逐一点评，形成“四到位”的学习效果。"
    for width in range(4, 20):
        for line in lines(text, width):
            assert line[0] not in "，。”", (width, line)
            assert line[-1] != "“", (width, line)
    # Where "，" would start the next line, the character before it goes down with it.
    assert lines("一二三四五六七八九，十", 9)[:2] == ["一二三四五六七八", "九，十"]


def test_ids_and_figures_are_never_split():
    text = "权重：L01\u00a0×2，L02\u00a0×3，L09\u00a0×1，预计提升+2.4分，75%。"
    for width in range(6, 20):
        joined = "|".join(lines(text, width))
        for unit in ("L01\u00a0×2", "L09\u00a0×1", "+2.4", "75%"):
            assert unit in joined, (width, joined)


def test_no_single_character_last_line():
    assert lines("在同级党支部中的百分位", 10) == ["在同级党支部中的百", "分位"]  # not "…百分" and "位"
    assert lines("一二三四五六七八九十加。", 11) == ["一二三四五六七八九", "十加。"]
    assert lines("一二三四五", 5) == ["一二三四五"]


def test_english_breaks_at_spaces_and_a_run_too_long_for_a_line_is_cut():
    assert lines("Every member of 财政所党支部 takes part", 12) == ["Every member", "of 财政所党支部", "takes part"]
    assert lines("ABCDEFGHIJKLMN", 5) == ["ABCDE", "FGHIJ", "KLMN"]


def test_opportunities():
    allowed = opportunities("（每季度）L09\u00a0×1 and")
    text = "（每季度）L09\u00a0×1 and"
    breaks = {text[i] for i, ok in enumerate(allowed) if ok}
    assert breaks == {"季", "度", "L", "a"}
