import pytest

from zhengwu.search.domain.engine import fts5_expression, tsquery_expression
from zhengwu.search.domain.tokens import index_tokens, parse_query, stored_words, tokenizer


@pytest.mark.parametrize("word", ["政务公开", "一网通办", "住房公积金", "不动产登记", "港澳通行证", "最低生活保障"])
def test_government_dictionary_words_stay_one_token(word):
    assert tokenizer().lcut(word, HMM=False) == [word]
    assert [term.text for term in parse_query(word).terms] == [word]


def test_without_the_dictionary_jieba_would_split_them():
    import jieba

    plain = jieba.Tokenizer()
    assert plain.lcut("政务公开", HMM=False) == ["政务", "公开"]
    assert plain.lcut("一网通办", HMM=False) == ["一网通", "办"]


def test_the_tokenizer_is_built_once_per_process():
    assert tokenizer() is tokenizer()


def test_a_field_is_indexed_as_character_grams_then_search_mode_words():
    assert index_tokens("身份证") == "身份 份证 证 | 身份 身份证"
    assert index_tokens("推进政务公开") == "推进 进政 政务 务公 公开 开 | 推进 政务 公开 政务公开"
    assert index_tokens("A05 窗口，ICP备案") == "a05 窗口 口 icp 备案 案 | a05 icp 窗口 备案"
    assert index_tokens("") == ""
    assert index_tokens("……") == ""


def test_stored_words_are_the_whole_words_of_a_field():
    assert stored_words(index_tokens("可按规定降低保费")) == {"规定", "按规定", "降低", "保费"}
    assert "低保" in stored_words(index_tokens("领取低保金"))


def test_query_terms_drop_question_words_and_rejoin_unknown_characters():
    assert [t.text for t in parse_query("我要办护照").terms] == ["护照"]
    assert [t.text for t in parse_query("补领营业执照").terms] == ["补领", "营业执照"]
    assert [t.text for t in parse_query("营业执照 补领").terms] == ["营业执照", "补领"]
    assert [t.text for t in parse_query("张三丰").terms] == ["张三丰"]
    assert [t.text for t in parse_query("申请").terms] == ["申请"]  # only stopwords: keep them
    assert [t.text for t in parse_query("ICP备案").terms] == ["icp", "备案"]
    assert parse_query("“（）”*:").terms == ()


def test_synonyms_are_alternatives_of_a_term():
    (term,) = parse_query("低保").terms
    assert term.alternatives == ("低保", "最低生活保障")
    (term,) = parse_query("最低生活保障").terms
    assert term.alternatives == ("最低生活保障", "低保")


def test_database_queries_are_phrases_of_grams_with_every_token_quoted():
    assert fts5_expression(parse_query("护照")) == '("护照")'
    assert fts5_expression(parse_query("身份证 证")) == '("身份 份证" OR "身份证")'
    assert fts5_expression(parse_query("证")) == '("证" *)'
    assert fts5_expression(parse_query("NEAR 护照")) == '("near") AND ("护照")'
    assert tsquery_expression(parse_query("公积金 护照")) == "('公积' <-> '积金' | '公积金') & ('护照')"
    assert tsquery_expression(parse_query("证")) == "('证':*)"


def test_the_phrase_is_the_query_without_stopwords_and_punctuation():
    assert parse_query("我要办护照？").phrase == "护照"
    assert parse_query("营业执照 补领").phrase == "营业执照补领"
    assert parse_query("申请").phrase == "申请"
