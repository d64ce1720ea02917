from navigator.retrieval.tokens import tokenize


def test_tokenize_keeps_indic_words_whole():
    assert tokenize("পরিকল্পনা তৈরি করতে") == ["পরিকল্পনা", "তৈরি", "করতে"]
    assert tokenize("ਮੇਰੇ ਬੱਚੇ ਨੂੰ ਸਕੂਲ") == ["ਮੇਰੇ", "ਬੱਚੇ", "ਨੂੰ", "ਸਕੂਲ"]


def test_tokenize_keeps_arabic_script_and_latin_acronyms():
    assert tokenize("جب کونسل EHCP") == ["جب", "کونسل", "ehcp"]


def test_tokenize_splits_chinese_into_bigrams():
    assert tokenize("教育计划") == ["教育", "育计", "计划"]


def test_tokenize_folds_case_plurals_hyphens_and_stopwords():
    assert tokenize("The 20-week timescales for EHCPs") == ["20", "week", "timescale", "ehcp"]


def test_tokenize_keeps_percentages_and_decimals():
    assert tokenize("55% rose to 3.5") == ["55%", "rose", "3.5"]
