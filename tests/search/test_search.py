import pytest

from tests.search.factories import names
from zhengwu.search.domain import search_items

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # title match first; the second only has 护照片 in its materials, which jieba cuts 护/照片
        ("护照", ["普通护照签发", "往来港澳通行证签发"]),
        # the second has 公积金 only in its conditions
        ("公积金", ["住房公积金提取", "单位缴存基数调整"]),
        # literal title › synonym in title (最低生活保障) › an accidental substring in a body (降低保费)
        ("低保", ["低保边缘家庭认定", "最低生活保障审批", "城乡居民养老保险参保登记"]),
    ],
)
def test_two_character_queries_find_exactly_the_items_that_contain_them(catalogue, query, expected):
    assert names(search_items(query)) == expected


def test_title_matches_rank_above_body_matches_and_more_body_mentions_rank_higher(catalogue):
    # 营业执照: in the title; twice in the body (conditions and result); once (materials)
    assert names(search_items("营业执照")) == ["营业执照遗失补领", "个体工商户设立登记", "食品经营许可证核发"]


def test_an_exact_phrase_in_the_title_ranks_above_the_same_words_scattered(catalogue):
    assert names(search_items("经营 许可")) == ["食品经营许可证核发", "出版物经营单位设立许可"]


def test_scores_are_strictly_decreasing_for_the_fixture(catalogue):
    scores = [hit.score for hit in search_items("营业执照")]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)


def test_queries_of_three_or_more_characters_match_as_phrases(catalogue):
    assert names(search_items("住房公积金")) == ["住房公积金提取"]
    assert names(search_items("港澳通行证")) == ["往来港澳通行证签发"]
    assert names(search_items("营业执照遗失补领")) == ["营业执照遗失补领"]
    assert search_items("公积金护照") == []


def test_every_term_of_a_multi_word_query_must_match(catalogue):
    assert names(search_items("营业执照 补领")) == ["营业执照遗失补领"]
    assert names(search_items("补领营业执照")) == ["营业执照遗失补领"]
    assert search_items("护照 公积金") == []


def test_question_words_and_single_characters_around_a_term_are_ignored(catalogue):
    assert names(search_items("我要办护照")) == ["普通护照签发", "往来港澳通行证签发"]
    assert names(search_items("怎么申请低保？")) == ["低保边缘家庭认定", "最低生活保障审批", "城乡居民养老保险参保登记"]


def test_a_synonym_finds_the_official_term_and_the_other_way_round(catalogue):
    assert names(search_items("最低生活保障")) == ["最低生活保障审批", "低保边缘家庭认定", "城乡居民养老保险参保登记"]


def test_a_single_character_query_matches_it_anywhere(catalogue):
    assert names(search_items("簿")) == ["低保边缘家庭认定", "城乡居民养老保险参保登记", "最低生活保障审批"]


def test_full_width_and_upper_case_input_is_normalised(catalogue):
    assert names(search_items("　护照　")) == ["普通护照签发", "往来港澳通行证签发"]
    assert names(search_items("１．５倍")) == ["低保边缘家庭认定"]


def test_limit_keeps_the_best(catalogue):
    assert names(search_items("护照", limit=1)) == ["普通护照签发"]
    assert search_items("护照", limit=0) == []


def test_department_filter(catalogue):
    police, market = catalogue.police.department.pk, catalogue.market.department.pk
    assert names(search_items("护照", department_id=police)) == ["普通护照签发", "往来港澳通行证签发"]
    assert search_items("护照", department_id=market) == []
    assert names(search_items("营业执照", department_id=market)) == [
        "营业执照遗失补领",
        "个体工商户设立登记",
        "食品经营许可证核发",
    ]
    assert search_items("营业执照", department_id=police) == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        "*",
        "()",
        ":",
        "NEAR",
        "NEAR(护照 公积金)",
        "AND OR NOT",
        "'; DROP TABLE search_searchdocument; --",
        "title_tokens:护照",
        "\\",
        "^",
        "-",
        "😀",
        "𠀀",
        "…。，！",
        "护" * 300,
        "&<>",
    ],
)
def test_odd_queries_never_raise(catalogue, query):
    assert search_items(query) == []


@pytest.mark.parametrize("query", ['"护照"', "护照*", "(护照)", "护照 OR", "-护照", "护照:", "{护照}", "护照 NEAR"])
def test_fulltext_syntax_around_a_term_is_ignored(catalogue, query):
    hits = names(search_items(query))
    if "OR" in query or "NEAR" in query:  # plain words: nothing contains "or" / "near"
        assert hits == []
    else:
        assert hits == ["普通护照签发", "往来港澳通行证签发"]


def test_a_non_string_query_returns_nothing(catalogue):
    assert search_items(None) == []  # type: ignore[arg-type]


def test_highlights_mark_matches_and_snippets_show_the_context(catalogue):
    first, second = search_items("护照")
    assert first.title_highlight == "普通<mark>护照</mark>签发"
    assert first.snippet == (
        "中国公民因前往外国定居、探亲、学习、就业、旅行等非公务原因出国的，可以申请普通<mark>护照</mark>。"
        " 居民身份证、近期免冠证件照片 普通<mark>护照</mark> 区公安分局 "
        "《中华人民共和国<mark>护照</mark>法》第五条"
    )
    assert second.title_highlight == "往来港澳通行证签发"
    assert second.snippet == (
        "内地居民因私前往香港或者澳门的，可以申请往来港澳通行证。 "
        "居民身份证、近期免冠<mark>护照</mark>片 往来港澳通行证 区公安分局 "
        "《中国公民因私事往来香港地区或者澳门地区的暂行管理办法》"
    )


def test_synonyms_are_highlighted_too(catalogue):
    hit = search_items("低保")[1]
    assert hit.title_highlight == "<mark>最低生活保障</mark>审批"


def test_highlights_escape_html_in_titles_and_bodies(catalogue, publish):
    publish(
        catalogue.police,
        "000101003000",
        name="<script>alert(1)</script>护照相片规格",
        acceptance_conditions="持有<b>护照</b>的 & 需要换发的。",
        materials=["照片"],
    )
    hit = search_items("护照相片")[0]
    assert hit.title_highlight == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>护照相片</mark>规格"
    assert hit.snippet.startswith("持有&lt;b&gt;<mark>护照</mark>&lt;/b&gt;的 &amp; 需要换发的。")
    script = search_items("script")[0]
    assert script.title_highlight == "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;护照相片规格"


def test_a_search_costs_two_queries(catalogue, django_assert_num_queries):
    with django_assert_num_queries(2):
        hits = search_items("营业执照")
    assert len(hits) == 3
