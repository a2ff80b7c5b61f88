from zhengwu.search.domain.highlight import highlight, snippet


def test_a_long_body_is_cut_around_the_first_match_with_ellipses():
    body = "甲" * 100 + "申请护照" + "乙" * 100
    assert snippet(body, ["护照"], length=20) == "…" + "甲" * 3 + "申请<mark>护照</mark>" + "乙" * 13 + "…"


def test_a_match_near_the_end_fills_the_window_backwards():
    body = "甲" * 50 + "护照"
    assert snippet(body, ["护照"], length=10) == "…" + "甲" * 8 + "<mark>护照</mark>"


def test_without_a_match_the_snippet_is_the_beginning():
    assert snippet("第一行\n第二行  第三行", ["护照"], length=6) == "第一行 第二…"


def test_overlapping_and_adjacent_matches_merge_into_one_mark():
    assert highlight("住房公积金提取", ["公积金", "住房公积", "提取"]) == "<mark>住房公积金提取</mark>"


def test_matching_ignores_case_and_width_but_keeps_the_original_text():
    assert highlight("ＩＣＰ备案与icp", ["icp"]) == "<mark>ＩＣＰ</mark>备案与<mark>icp</mark>"


def test_everything_outside_marks_is_escaped():
    assert highlight('<a href="x">护照</a>', ["护照"]) == "&lt;a href=&quot;x&quot;&gt;<mark>护照</mark>&lt;/a&gt;"
    assert highlight("<mark>", ["mark"]) == "&lt;<mark>mark</mark>&gt;"


def test_characters_that_compose_under_normalisation_keep_marks_in_place():
    assert highlight("cafe\u0301 申请护照", ["护照", "café"]) == "<mark>cafe\u0301</mark> 申请<mark>护照</mark>"
    assert highlight("㈱护照", ["护照"]) == "㈱<mark>护照</mark>"
