"""Word counting and question grouping behind `chatlog report frequency`.

Words: exact words for crafted messages, nothing from ids, links, emoticons or redacted personal data, the
bundled and user dictionaries and stopword lists, file errors, and rjieba giving jieba's words exactly (crafted
ties and real JDDC turns). Questions: what is a question, keys, and which questions are merged.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from tests.corpus_turns import CORPORA_DIR, JDDC_FILE, jddc_turns

from chatlog_cli.errors import UsageError
from chatlog_cli.reports import segmenters
from chatlog_cli.reports.questions import QuestionGroup, group_questions, is_question, question_key
from chatlog_cli.reports.text_clean import PERSON_TOKEN_PREFIXES, segmentable
from chatlog_cli.reports.word_files import BUNDLED_DICT, DictEntry, bundled_file, read_dict
from chatlog_cli.reports.words import WordCounter


@pytest.fixture(scope="module")
def counter() -> WordCounter:
    return WordCounter.load()


@pytest.fixture(scope="module")
def reference() -> WordCounter:
    return WordCounter.load(engine="jieba")


# --- words ------------------------------------------------------------------------------------------------------

EXACT = [
    ("亲，七天无理由退货吗？运费险有吗", ["七天无理由", "退货", "运费险"]),
    ("价保可以申请吗，我用花呗付的", ["价保", "申请", "花呗"]),
    ("物流太慢了，催一下发货", ["物流", "太慢", "催", "发货"]),
    ("快递到了没收到货", ["快递", "没收到"]),
    ("质量问题 退货退款 京东快递", ["质量问题", "退货退款", "京东快递"]),
    ("尺码偏大吗？会不会起球掉色", ["尺码", "偏大", "起球", "掉色"]),
    # Latin words: two letters or more, lower-cased, full-width folded; a run with a digit is an id.
    ("iPhone15 Pro256G vip PLUS会员 ｉｐａｄ T恤 a", ["vip", "plus", "会员", "ipad", "t恤"]),
    # Single characters: only those that say something on their own.
    ("退 换 好 慢 我 的", ["退", "换", "慢"]),
    # Numbers written in Chinese, with or without a unit.
    ("两个 三百 一个月 十五号 七天 几天", ["几天"]),
    ("您好在吗，谢谢亲，好的", []),
]


@pytest.mark.parametrize(("text", "words"), EXACT)
def test_words_of_crafted_messages(counter: WordCounter, text: str, words: list[str]) -> None:
    assert counter.words(text) == words


@pytest.mark.parametrize("word", ["七天无理由", "运费险", "价保", "花呗", "顺丰", "极兔", "催发货", "快递单号", "拍错"])
def test_dictionary_words_stay_whole(counter: WordCounter, word: str) -> None:
    assert counter.words(f"请问{word}怎么弄") == [word]


ADVERSARIAL = [
    # ids, numbers, links
    "订单号SF1234567890到了吗",
    "单号：JD-2024-0012345 顺丰 SF1234567890",
    "https://item.jd.com/100012043978.html 这个尺码偏大吗",
    "www.taobao.com taobao.com/abc?id=12 IMG_2024.jpg 1.5元",
    "<img src=https://img30.360buyimg.com/a.jpg> &nbsp;<br/>",
    "¥AbCdEfGh1¥ 复制淘口令",
    "订单号:[订单x] 金额[金额x] VA[数字x] ID:[数字x]",
    "abcdefghij" * 10 + "1",
    "3天 10:30 2024-10-01 ￥99.9 50% 第2件",
    # emoticon codes
    "[微笑][玫瑰][OK]/:^_^/:801/:handclap/:-(#E-s25#E-s25SF123好评",
    # redaction labels, pseudonyms and tokens
    "[手机号][电话][身份证][银行卡][邮箱][地址][姓名][微信][QQ]",
    "[手机号:7f3a9c21] [姓名:0a1b2c3d] 买家_1a2b3c4d5e 客服_0f0f0f0f0f 文件_abcdef0123",
    # masks
    "138****5678 张* 欧阳** 北京市朝阳区**** a***@qq.com w***** 12*****78",
    "110101********1234 6222***********1234 010-******78 寄到河北省石家庄市长安区****",
    "我叫张*，电话138****5678，微信w*****",
    # personal data the redactor would have caught, in case it did not
    "abc@qq.com QQ:12345678 wxid_abc123",
]
_NOT_IN_A_WORD = re.compile(r"[0-9*\[\]@:/_.#<>&¥%-]")
_PERSONAL = ("手机号", "身份证", "银行卡", "邮箱", "姓名", "QQ", "qq", "张", "欧阳", "朝阳", "石家庄", "长安")


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_ids_links_emoticons_and_personal_data_are_never_words(counter: WordCounter, text: str) -> None:
    words = counter.words(text)
    for word in words:
        assert not _NOT_IN_A_WORD.search(word), word
        assert not any(part in word for part in _PERSONAL), word
    assert set(words) <= {"订单号", "单号", "顺丰", "尺码", "偏大", "复制", "淘口令", "金额", "好评", "电话", "微信"}


def test_person_token_prefixes_are_the_redactors() -> None:
    from chatlog_cli.redact.replace import TOKEN_PREFIXES

    assert PERSON_TOKEN_PREFIXES == TOKEN_PREFIXES


def test_redacted_text_gives_no_personal_words(counter: WordCounter) -> None:
    from chatlog_cli.redact.replace import Redactor

    text = "我是王建国，手机13812345678，身份证110101199003071234，地址北京市朝阳区建国路88号，微信wx_wang88，要退货"
    personal = ("王", "建国", "北京", "朝阳", "wx", "wang")
    for mode in ("mask", "label", "pseudonym"):
        redacted = Redactor(mode, key=b"k" * 32).redact_text(text)  # type: ignore[arg-type]
        words = counter.words(redacted)
        assert words[-1] == "退货" and {"手机", "身份证", "微信"} <= set(words), (mode, redacted)
        assert not any(part in word for word in words for part in personal), (mode, redacted, words)


def test_count_counts_messages_not_occurrences(counter: WordCounter) -> None:
    counts = counter.count(["退款退款退款", "退款吗？发货了吗", "好的"], [3, 2, 10])
    assert counts == {"退款": 5, "发货": 2}
    assert counter.count(["退款", "退款"]) == {"退款": 2}


def test_count_agrees_with_words(counter: WordCounter) -> None:
    texts = [text for text, _ in EXACT]
    expected: dict[str, int] = {}
    for text in texts:
        for word in set(counter.words(text)):
            expected[word] = expected.get(word, 0) + 1
    assert counter.count(texts) == expected


def test_mode_says_how_words_were_cut(counter: WordCounter, reference: WordCounter) -> None:
    assert counter.mode.startswith("分词：rjieba（jieba-rs，与 jieba 精确模式、HMM 关闭结果相同）+ 电商词典 ")
    assert reference.mode.startswith("分词：jieba 精确模式（HMM 关闭）+ 电商词典 ")
    assert f"停用词 {len(counter.stopwords)} 个" in counter.mode


# --- user files -------------------------------------------------------------------------------------------------


def test_user_dictionary_adds_a_word(tmp_path: Path) -> None:
    text = "蜜桃乌龙有货吗"
    assert "蜜桃乌龙" not in WordCounter.load().words(text)
    path = tmp_path / "shop.txt"
    path.write_text("蜜桃乌龙 100 nz\n\n", encoding="utf-8")
    for engine in ("rjieba", "jieba"):
        counter = WordCounter.load([path], engine=engine)  # type: ignore[arg-type]
        assert counter.words(text) == ["蜜桃乌龙"]
        assert "用户词典 1 个词" in counter.mode


def test_missing_frequencies_are_jiebas_own(tmp_path: Path) -> None:
    """A line without a frequency gets what jieba's load_userdict gives it, in both engines."""
    import jieba

    path = tmp_path / "shop.txt"
    # 起球 is in jieba's dictionary: jieba-rs would suggest 17 where jieba suggests 16.
    path.write_text("\ufeff蜜桃乌龙\n起球\n乌龙茶包 n\n冰丝凉席\n偏大\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(bundled_file(BUNDLED_DICT)))
    tokenizer.load_userdict(str(path))
    fast = WordCounter.load([path]).frequencies
    slow = WordCounter.load([path], engine="jieba").frequencies
    for word in ("蜜桃乌龙", "起球", "乌龙茶包", "冰丝凉席", "偏大"):
        assert fast[word] == slow[word] == tokenizer.FREQ[word], word
    assert fast == slow


def test_stopword_files(tmp_path: Path) -> None:
    path = tmp_path / "stop.txt"
    path.write_text("# 店里不关心的词\n发货\n\nＶＩＰ\n", encoding="utf-8")
    text = "谢谢，什么时候发货？vip有优惠吗"
    assert WordCounter.load().words(text) == ["发货", "vip", "优惠"]
    assert WordCounter.load(stopword_files=[path]).words(text) == ["优惠"]
    assert WordCounter.load(default_stopwords=False).words(text) == ["谢谢", "什么", "时候", "发货", "vip", "优惠"]


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        ("运费险 300\n好评返现 1.5\n", 2, "不是正整数"),
        ("运费险 300\n\n好评返现 high five\n", 3, "不是正整数"),
        ("好评返现 0\n", 1, "不能为 0"),
        ("好评返现 12 n extra\n", 1, "最多三项"),
        ("好评返现 99999999999\n", 1, "太大"),
    ],
)
def test_bad_dictionary_lines_name_file_and_line(tmp_path: Path, content: str, line: int, says: str) -> None:
    path = tmp_path / "我的词典.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        WordCounter.load([path])
    assert f"{path} 第 {line} 行" in caught.value.message
    assert says in caught.value.message
    if "项" in says or "整数" in says:
        assert "运费险 300 n" in caught.value.message  # says what a line looks like


def test_dictionary_line_forms(tmp_path: Path) -> None:
    path = tmp_path / "shop.txt"
    path.write_text("\ufeff运费险\n好评返现 n\n\n  冰丝凉席\t20  \n蜜桃乌龙 5 nz\nｉＰａｄ壳 3\n", encoding="utf-8")
    entries = [(entry.word, entry.freq, entry.tag, entry.line) for entry in read_dict(path)]
    assert entries == [
        ("运费险", None, None, 1),
        ("好评返现", None, "n", 2),
        ("冰丝凉席", 20, None, 4),
        ("蜜桃乌龙", 5, "nz", 5),
        ("iPad壳", 3, None, 6),
    ]


@pytest.mark.parametrize("kind", ["dict", "stopwords"])
def test_unreadable_files_name_file_and_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("运费险\n".encode() + "好评返现\n".encode("gbk"))
    args = {"user_dicts": [path]} if kind == "dict" else {"stopword_files": [path]}
    with pytest.raises(UsageError) as caught:
        WordCounter.load(**args)  # type: ignore[arg-type]
    assert f"{path} 第 2 行" in caught.value.message and "UTF-8" in caught.value.message
    missing = tmp_path / "nowhere.txt"
    args = {"user_dicts": [missing]} if kind == "dict" else {"stopword_files": [missing]}
    with pytest.raises(UsageError, match=r"找不到.*nowhere\.txt"):
        WordCounter.load(**args)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="无法读取"):
        WordCounter.load(**({"user_dicts": [tmp_path]} if kind == "dict" else {"stopword_files": [tmp_path]}))  # type: ignore[arg-type]


def test_library_never_prints(capfd: pytest.CaptureFixture[str]) -> None:
    # jieba logs "Building prefix dict…" to the stderr it saw at import: only file-descriptor capture sees it.
    counter = WordCounter.load(engine="jieba")
    counter.count(["什么时候发货"])
    assert capfd.readouterr() == ("", "")


# --- rjieba gives jieba's words exactly -------------------------------------------------------------------------

HARD_CASES = [
    "我们中出了一个叛徒",
    "abc网球拍卖会def",
    "iPhone15手机壳T恤XL码有货吗",
    "没接客服电话，说要原路返回",
    "龘靐齉 鬱鬱蔥蔥 䶮",
    "好评返现五元，晒图追评再返",
    "",
    "   ",
]


@pytest.mark.parametrize("text", HARD_CASES)
def test_engines_cut_the_same(counter: WordCounter, reference: WordCounter, text: str) -> None:
    assert counter._cut(text) == reference._cut(text)
    assert counter._cut(segmentable(text)) == reference._cut(segmentable(text))
    assert counter.words(text) == reference.words(text)


def _jieba_joins(frequency: int, single: int, total: float) -> bool:
    """Whether jieba's route (calc) takes a two-character word over its two characters, with these numbers."""
    logtotal = math.log(total)
    second = math.log(single) - logtotal
    return (math.log(frequency) - logtotal, 2) > (math.log(single) - logtotal + second, 1)


def _first_join(single: int, total_without_pair: int) -> int:
    """The lowest frequency of the pair at which jieba joins it (binary search)."""
    low, high = 1, single
    while low < high:
        middle = (low + high) // 2
        if _jieba_joins(middle, single, total_without_pair + middle):
            high = middle
        else:
            low = middle + 1
    return low


def test_total_frequency_is_jiebas() -> None:
    """A tie that only the exact total decides: rjieba must be given jieba's total, not its own.

    jieba counts dict.txt's duplicate line (B超) twice, and a re-added word's old frequency stays in its total;
    jieba-rs does neither. Two rare characters are given a huge frequency and their pair the frequency at which
    jieba starts to join them: one less and jieba splits them.
    """
    import rjieba

    bundled = read_dict(bundled_file(BUNDLED_DICT))
    state = segmenters.JiebaFrequencies(segmenters.main_dict())
    for entry in bundled:
        state.add(entry.word, entry.freq or 0)
    assert state.total - state.rjieba_total >= 3  # B超, and the bundled words jieba already had
    single = 10**10
    boundary = _first_join(single, state.total + 2 * single)
    # Without the correction rjieba would still split the pair at `boundary`.
    assert _first_join(single, state.rjieba_total + 2 * single) > boundary
    for frequency, joined in ((boundary - 1, False), (boundary, True)):
        extra = [DictEntry("侽", single, None, "test", 1), DictEntry("僴", single, None, "test", 2)]
        extra.append(DictEntry("侽僴", frequency, None, "test", 3))
        cut, _ = segmenters.rjieba_cutter([*bundled, *extra])
        assert cut("侽僴") == (["侽僴"] if joined else ["侽", "僴"]), frequency
        naive = rjieba.Jieba()
        for entry in [*bundled, *extra]:
            naive.add_word(entry.word, entry.freq, None)
        if joined:
            assert naive.cut("侽僴", False) == ["侽", "僴"]
    jieba_cut, _ = segmenters.jieba_cutter([*bundled, *extra])
    assert jieba_cut("侽僴") == ["侽僴"]


@pytest.mark.skipif(not (CORPORA_DIR / JDDC_FILE).exists(), reason="needs ../shared/corpora")
def test_engines_agree_on_jddc_turns(counter: WordCounter, reference: WordCounter) -> None:
    turns = list(jddc_turns().values())
    assert len(turns) >= 2000
    for text in turns:
        assert counter._cut(text) == reference._cut(text), text
        assert counter.words(text) == reference.words(text), text


# --- questions --------------------------------------------------------------------------------------------------

QUESTIONS = [
    "什么时候发货？",
    "啥时候发货呀亲",
    "请问多久发货",
    "能便宜点吗",
    "可以便宜点不",
    "这个是正品吗",
    "质量怎么样",
    "有没有运费险",
    "哪个颜色好看",
    "为什么还没到",
    "发货了没",
    "是这样吧",
    "几号能到",
]
NOT_QUESTIONS = [
    "在吗",
    "在吗？",
    "亲，在不在",
    "有人吗?",
    "您好",
    "好吧",
    "嗯好吧",
    "算了吧",
    "好的，谢谢",
    "没什么了",
]
NOT_QUESTIONS += ["暂时没有了", "我不怎么用", "收到了", "[微笑]", "好几个", "还没"]


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_not_questions(text: str) -> None:
    assert not is_question(text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("什么时候发货？", "什么时候发货"),
        ("亲，请问什么时候发货呀？谢谢亲！", "什么时候发货"),
        ("啥时候发货", "什么时候发货"),
        ("多久发货 [微笑]/:^_^", "什么时候发货"),
        ("ＶＩＰ有优惠吗", "vip有优惠"),
        ("我的订单123456怎么还没到", "我的订单#怎么还没到"),
        ("[手机号]这个号码能改吗", "*这个号码能改"),
        ("138****5678 能改吗", "*能改"),
        ("买家_1a2b3c4d5e 能退吗", "*能退"),
        ("可以便宜点不", "能便宜点"),
        ("是不是正品的啊", "是正品"),
        ("为什么", "为什么"),
        ("在吗？", ""),
    ],
)
def test_question_keys(text: str, key: str) -> None:
    assert question_key(text) == key


def _groups(texts: dict[str, int], limit: int = 20) -> list[QuestionGroup]:
    return group_questions(list(texts), list(texts.values()), limit=limit)


def test_near_identical_questions_are_merged() -> None:
    texts = {
        "什么时候发货": 10,
        "啥时候发货": 4,
        "什么时候能发货？": 3,
        "发货什么时候": 2,
        "亲，请问多久发货呀": 1,
        "几天能发货": 1,
        "怎么申请退货": 5,
    }
    groups = _groups(texts)
    assert groups[0] == QuestionGroup("什么时候发货", 21, "什么时候发货", 6)
    assert groups[1] == QuestionGroup("怎么申请退货", 5, "怎么申请退货", 1)
    assert len(groups) == 2


def test_different_questions_stay_apart() -> None:
    pairs = [
        ("怎么申请退货", "怎么申请退款"),
        ("退货吗", "换货吗"),
        ("什么时候到账", "什么时候到"),
        ("什么时候退", "什么时候"),
        ("能便宜点吗", "能包邮吗"),
        ("有货吗", "货呢"),
        ("发给你吗", "发吗"),  # filler words merge only when two characters or more are left
    ]
    for first, second in pairs:
        assert len(_groups({first: 3, second: 2})) == 2, (first, second)


def test_one_character_more_merges_only_long_questions_and_does_not_chain() -> None:
    groups = _groups({"什么时候收到货": 5, "什么时候到货": 9, "什么时候到": 2, "什么时候": 1})
    assert [(g.key, g.count) for g in groups] == [("什么时候到货", 14), ("什么时候到", 2), ("什么时候", 1)]


def test_grouping_details() -> None:
    texts = {"在吗": 50, "发顺丰吗": 2, "能发顺丰吗？": 7, "包邮吗": 7, "包邮么": 1}
    groups = _groups(texts, limit=1)
    assert groups == [QuestionGroup("能发顺丰", 9, "能发顺丰吗？", 2)]  # 在吗 has no key; ties by key
    assert _groups(texts)[1] == QuestionGroup("包邮", 8, "包邮吗", 2)
    assert _groups({}) == []
    with pytest.raises(ValueError):
        group_questions(["a"], [])


def test_a_group_knows_its_wordings_for_the_previous_period() -> None:
    from chatlog_cli.reports.questions import question_core

    groups = group_questions(["什么时候发货？", "亲，什么时候能发货呀", "退款到账了吗"], [5, 3, 1], limit=5)
    first = groups[0]
    assert first.count == 8
    assert question_core("请问什么时候发货呢") in first.cores
    assert question_core("退款到账了吗") not in first.cores
