"""Synthetic Chinese names: places, streets, people and phone numbers.

Everything is assembled from syllable lists, so no name belongs to a real place or
person on purpose; phone numbers start with 10, a prefix no Chinese mobile number has.
Pools are ordered lists (never sets) so that the same seed always picks the same names.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

CITY_NAME = "江城市"
CITY_SHORT = "江城"

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建林波宇浩凯健俊帆帅旭宁晨阳欣怡雪梅琳婷慧"
    "莉倩燕兰凤春海斌峰亮飞鑫志国文玲晶娇颖东松兵成毅龙鸿博睿思雨佳嘉子梓轩诗涵"
)
# Two syllables make a place name: 青山, 龙湾, 双河 ...
PLACE_FIRST = list("青白黄龙凤石柳桃杨双古长清安太永新高三马金银东西南北大小红花梅竹松平和兴隆福寿泉云")
PLACE_SECOND = list("河山岗桥湾集店营庙坪湖寺冲埠堰铺岭港口台园庄坡洲溪塘林坝畈垭")
STREET_STEMS = [
    "人民", "建设", "解放", "胜利", "和平", "新华", "中山", "长江", "团结", "光明", "文化", "青年", "友谊",
    "幸福", "朝阳", "东风", "红旗", "民主", "振兴", "繁荣", "前进", "育才", "学府", "春华", "兴业", "创业",
    "科技", "工业", "商业", "文昌", "迎宾", "滨江", "沿江", "环城", "站前", "公园", "体育", "劳动", "卫生",
]
STREET_FIRST = list("文兴华振建永安康宏新盛瑞泰和嘉荣丰德福昌")
STREET_SECOND = list("华兴安宁平和康盛丰源泰达昌明阳祥顺发隆业")
COMMUNITY_STEMS = [
    "幸福", "和平", "团结", "友谊", "光明", "朝阳", "阳光", "和谐", "文明", "振兴", "繁荣", "建设", "新华",
    "民主", "花园", "金桥", "锦绣", "翠园", "育才", "学府", "春晖", "东湖", "南苑", "北辰", "西城", "中心",
    "滨江", "望江", "明珠", "香樟", "紫荆", "桂花", "丽景", "康乐", "长青", "安居",
]
VILLAGE_SURNAME_SUFFIXES = ["家村", "家湾村", "家岗村", "家畈村", "家庄村"]
ESTATE_SUFFIXES = ["花园", "小区", "家园", "苑", "华庭", "公寓"]
SHOP_KINDS = ["超市", "加油站", "酒店", "农贸市场", "医院"]

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals: 3 -> 三, 12 -> 十二, 40 -> 四十."""
    if not 1 <= n <= 99:
        raise ValueError(f"{n} is outside 1..99")
    tens, ones = divmod(n, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return prefix + (_DIGITS[ones] if ones else "")


def pick_unique(pool: list[str], count: int, rng: np.random.Generator) -> list[str]:
    """`count` different names from `pool`; numbered variants (一, 二 ...) when the pool runs out."""
    if count > len(pool):
        rounds = -(-count // len(pool))
        pool = pool + [f"{name}{chinese_number(k)}" for k in range(2, rounds + 1) for name in pool]
    return [pool[i] for i in rng.choice(len(pool), size=count, replace=False)]


def place_stems() -> list[str]:
    return [a + b for a in PLACE_FIRST for b in PLACE_SECOND]


def street_stems() -> list[str]:
    return STREET_STEMS + [a + b for a in STREET_FIRST for b in STREET_SECOND if a != b]


def township_names(rng: np.random.Generator, streets: int, towns: int, xiang_share: float = 0.15) -> list[str]:
    """Street offices (…街道) for the city core, then towns (…镇) and a few rural townships (…乡)."""
    street_pool = [s for s in COMMUNITY_STEMS + STREET_STEMS if len(s) == 2]
    street_names = [f"{s}街道" for s in pick_unique(street_pool, streets, rng)]
    town_names = [
        f"{s}{'乡' if rng.random() < xiang_share else '镇'}" for s in pick_unique(place_stems(), towns, rng)
    ]
    return street_names + town_names


def short_name(township_name: str) -> str:
    """青山镇 -> 青山, 和平街道 -> 和平."""
    for suffix in ("街道", "镇", "乡"):
        if township_name.endswith(suffix):
            return township_name[: -len(suffix)]
    return township_name


def village_name_pool() -> list[str]:
    return [s + suffix for suffix in VILLAGE_SURNAME_SUFFIXES for s in SURNAMES] + [
        s + "村" for s in place_stems()
    ]


def community_name_pool() -> list[str]:
    return [s + "社区" for s in COMMUNITY_STEMS + street_stems()]


def person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """Surname plus one or two given-name characters."""
    surnames = np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), count)]
    given = np.asarray(GIVEN_CHARS)
    first = given[rng.integers(0, len(given), count)]
    second = np.where(rng.random(count) < 0.6, given[rng.integers(0, len(given), count)], "")
    return join_strings(surnames, first, second)


def phone_numbers(serials) -> np.ndarray:
    """Fake mobile numbers 10X-XXXX-XXXX, one per serial below 10^9; no real number starts with 10."""
    serials = np.asarray(serials, dtype=np.int64) % 10**9
    return join_strings(
        "10", (serials // 10**8).astype(str), "-",
        np.char.zfill((serials // 10**4 % 10**4).astype(str), 4), "-",
        np.char.zfill((serials % 10**4).astype(str), 4),
    )


def join_strings(*parts) -> np.ndarray:
    """Element-wise concatenation of string arrays and constants, as an object array."""
    return reduce(np.char.add, [np.asarray(p, dtype=str) for p in parts]).astype(object)
