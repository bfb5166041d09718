"""The simulated restaurants' static catalogue: menu, payment types, discounts, promotions, names.

Ids, codes and type tables follow the QianHub document (payment types 2401..2416, product types
1..7, promotion types 1/10/11/24/25). Vendor quirks reproduced on purpose:

* 时价 (market-price) goods carry no ``goods_group_sn`` / ``goods_subgroup_sn`` keys, and one of
  them is named with a leading space (``" 回鱼"``), both exactly as in the document's example.
* 做法 (cooking) goods cost 0; 加料 (add-on) goods are priced; 套餐 (set meals) list components
  that may themselves be set meals, which is how trees reach depth 3 and 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Group:
    """A goods group (大类), or a subgroup (小类) when ``parent`` is set."""

    id: int
    name: str
    sn: str
    parent: Group | None = None


@dataclass(frozen=True)
class Goods:
    """One sellable item. ``components`` (套餐 only) are (goods_id, quantity) pairs."""

    goods_id: int
    name: str
    sn: str
    product_type_id: int
    subgroup: Group
    unit: tuple[int, str]
    price: Decimal
    special_price: Decimal | None = None
    cookable: bool = False
    addons: bool = False
    components: tuple[tuple[int, int], ...] = ()
    weighed: bool = False
    market_price: tuple[int, int] | None = None
    omit_group_sn: bool = False
    json: dict[str, object] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        group = self.subgroup.parent
        assert group is not None
        body: dict[str, object] = {
            "goods_id": self.goods_id,
            "goods_name": self.name,
            "goods_sn": self.sn,
            "product_type_id": self.product_type_id,
            "product_type_name": PRODUCT_TYPES[self.product_type_id],
            "goods_group_id": group.id,
            "goods_group_name": group.name,
            "goods_group_sn": group.sn,
            "goods_subgroup_id": self.subgroup.id,
            "goods_subgroup_name": self.subgroup.name,
            "goods_subgroup_sn": self.subgroup.sn,
            "unit_type_id": self.unit[0],
            "unit_type_name": self.unit[1],
        }
        if self.omit_group_sn:
            del body["goods_group_sn"], body["goods_subgroup_sn"]
        # Shared, read-only: every detail of this goods points at the same dict.
        object.__setattr__(self, "json", body)


PRODUCT_TYPES = {1: "普通", 2: "称重", 3: "时价", 4: "套餐", 5: "特价", 6: "加料", 7: "做法"}

HOT = Group(28, "热菜", "181593785323")
COLD_G = Group(29, "凉菜", "181593785324")
STAPLE_G = Group(30, "主食", "181593785325")
DRINK_G = Group(31, "酒水", "181593785326")
SET_G = Group(32, "套餐", "181593785327")
WARE_G = Group(33, "餐具", "181593785328")
COOK_G = Group(178, "做法", "18159005323")
ADDON_G = Group(179, "加料", "18159005324")

SEAFOOD = Group(58, "海鲜类", "196666227206", HOT)
FISH = Group(57, "鱼类", "196666227205", HOT)
MEAT = Group(59, "肉类", "196666227207", HOT)
VEG = Group(60, "时蔬", "196666227208", HOT)
COLD = Group(61, "凉菜", "196666227209", COLD_G)
STAPLE = Group(62, "主食", "196666227210", STAPLE_G)
SNACK = Group(63, "小吃", "196666227211", STAPLE_G)
SOFT = Group(64, "饮料", "196666227212", DRINK_G)
ALCOHOL = Group(65, "酒类", "196666227213", DRINK_G)
SETS = Group(66, "套餐", "196666227214", SET_G)
WARE = Group(67, "餐具&茶位", "196666227215", WARE_G)
COOK = Group(307, "做法", "198888", COOK_G)
ADDON = Group(308, "加料", "198889", ADDON_G)

PORTION = (36, "份")
JIN = (37, "斤")
BOTTLE = (38, "瓶")
SEAT = (39, "位")
BOWL = (40, "碗")

D = Decimal
GOODS: dict[int, Goods] = {
    g.goods_id: g
    for g in (
        Goods(670, "蝴蝶虾", "9001293", 1, SEAFOOD, PORTION, D(52), cookable=True),
        Goods(671, "基围虾", "9001294", 2, SEAFOOD, JIN, D(68), cookable=True, weighed=True),
        Goods(672, "椒盐濑尿虾", "9001295", 1, SEAFOOD, PORTION, D(88)),
        Goods(
            429,
            " 回鱼",
            "9000974",
            3,
            FISH,
            PORTION,
            D(0),
            market_price=(58, 98),
            cookable=True,
            omit_group_sn=True,
        ),
        Goods(
            428,
            "东星斑",
            "9000975",
            3,
            FISH,
            PORTION,
            D(0),
            market_price=(168, 288),
            omit_group_sn=True,
        ),
        Goods(430, "石斑鱼", "9000976", 2, FISH, JIN, D(128), cookable=True, weighed=True),
        Goods(431, "酸菜鱼", "9000977", 1, FISH, PORTION, D(68), cookable=True, addons=True),
        Goods(
            501, "小炒黄牛肉", "9002001", 1, MEAT, PORTION, D("58.5"), cookable=True, addons=True
        ),
        Goods(502, "农家小炒肉", "9002002", 5, MEAT, PORTION, D(48), special_price=D("28.8")),
        Goods(503, "红烧肉", "9002003", 1, MEAT, PORTION, D(48)),
        Goods(504, "辣子鸡", "9002004", 1, MEAT, PORTION, D(46), cookable=True),
        Goods(505, "椒盐鸡翅", "9002005", 1, MEAT, PORTION, D(32), cookable=True, addons=True),
        Goods(601, "清炒时蔬", "9003001", 1, VEG, PORTION, D(22), cookable=True),
        Goods(602, "手撕包菜", "9003002", 1, VEG, PORTION, D(18), cookable=True),
        Goods(603, "干锅花菜", "9003003", 1, VEG, PORTION, D("26.5"), cookable=True, addons=True),
        Goods(701, "凉拌木耳", "9004001", 1, COLD, PORTION, D(16)),
        Goods(702, "夫妻肺片", "9004002", 1, COLD, PORTION, D(28), cookable=True),
        Goods(801, "米饭", "9005001", 1, STAPLE, BOWL, D(2)),
        Goods(802, "扬州炒饭", "9005002", 1, STAPLE, PORTION, D(22), addons=True),
        Goods(803, "炸薯条", "9005003", 1, SNACK, PORTION, D(15), cookable=True),
        Goods(901, "王老吉", "9006001", 1, SOFT, BOTTLE, D(6)),
        Goods(902, "青岛啤酒", "9006002", 1, ALCOHOL, BOTTLE, D(10)),
        Goods(903, "鲜榨橙汁", "9006003", 1, SOFT, PORTION, D("18.8")),
        Goods(
            1001,
            "小食拼盘",
            "9007001",
            4,
            SETS,
            PORTION,
            D(38),
            components=((505, 1), (803, 1), (701, 1)),
        ),
        Goods(
            1002,
            "双人套餐",
            "9007002",
            4,
            SETS,
            PORTION,
            D(168),
            components=((501, 1), (601, 1), (1001, 1), (801, 2), (901, 2)),
        ),
        Goods(
            1003,
            "四人套餐",
            "9007003",
            4,
            SETS,
            PORTION,
            D(368),
            components=((431, 1), (504, 1), (603, 1), (1001, 1), (801, 4), (902, 4)),
        ),
        Goods(
            1004,
            "商务午餐",
            "9007004",
            4,
            SETS,
            PORTION,
            D(48),
            components=((503, 1), (602, 1), (801, 1)),
        ),
        Goods(1101, "餐具", "9008001", 1, WARE, SEAT, D(2)),
        Goods(2668, "鲜咸", "9001736", 7, COOK, PORTION, D(0)),
        Goods(2674, "全银", "9000108", 7, COOK, PORTION, D(0)),
        Goods(2675, "微辣", "9000109", 7, COOK, PORTION, D(0)),
        Goods(2676, "中辣", "9000110", 7, COOK, PORTION, D(0)),
        Goods(2677, "特辣", "9000111", 7, COOK, PORTION, D(0)),
        Goods(2678, "少盐", "9000112", 7, COOK, PORTION, D(0)),
        Goods(2679, "不要香菜", "9000113", 7, COOK, PORTION, D(0)),
        Goods(2680, "椒盐", "9000114", 7, COOK, PORTION, D(0)),
        Goods(2681, "嫩一点", "9000115", 7, COOK, PORTION, D(0)),
        Goods(2701, "加芝士", "9000201", 6, ADDON, PORTION, D(5), cookable=True),
        Goods(2702, "加蛋", "9000202", 6, ADDON, PORTION, D(3), cookable=True),
        Goods(2703, "加肥牛", "9000203", 6, ADDON, PORTION, D(18), cookable=True),
        Goods(2704, "加粉丝", "9000204", 6, ADDON, PORTION, D(4)),
        Goods(2705, "加宽粉", "9000205", 6, ADDON, PORTION, D("4.5")),
    )
}

# Top-level dishes a table orders à la carte, by relative popularity.
A_LA_CARTE: tuple[tuple[int, int], ...] = (
    (670, 4), (671, 3), (672, 2), (429, 3), (428, 1), (430, 2), (431, 6), (501, 7), (502, 5),
    (503, 6), (504, 6), (505, 4), (601, 8), (602, 7), (603, 5), (701, 5), (702, 4), (801, 9),
    (802, 4), (803, 3), (901, 6), (902, 7), (903, 3),
)  # fmt: skip
# Set meals with weights; 商务午餐 only at lunch.
SET_MEALS: tuple[tuple[int, int], ...] = ((1002, 5), (1003, 4), (1001, 2))
LUNCH_SET = 1004
TABLEWARE = 1101
COOKINGS = (2668, 2674, 2675, 2676, 2677, 2678, 2679, 2680, 2681)
ADDONS = (2701, 2702, 2703, 2704, 2705)
REMARKS = ("不要辣", "少放盐", "打包", "先上", "走葱", "加急")

# payment kind -> (payment_type_id, payment_type_sn, default name); see the document's table.
PAYMENT_TYPES: dict[str, tuple[int, str, str]] = {
    "cash": (1, "2401", "现金"),
    "card": (2, "2402", "银行卡"),
    "alipay": (4, "2404", "支付宝"),
    "tenpay": (5, "2405", "微信"),
    "voucher": (6, "2406", "代金券"),
    "debit": (9, "2409", "赊账"),
    "custom": (14, "240000000001", "美团团购"),
}
PAYMENT_KIND_BY_TYPE = {type_id: kind for kind, (type_id, _, _) in PAYMENT_TYPES.items()}
CUSTOM_PAYMENTS = (("240000000001", "美团团购"), ("240000000002", "大众点评闪惠"))
VOUCHERS = ((D(100), "100元代金券"), (D(50), "欢乐海岸50元代金券"))

# (discount_id, name, rate)
DISCOUNTS = ((34, "85折", D("0.85")), (35, "9折", D("0.9")), (36, "88折", D("0.88")),
             (37, "员工餐7折", D("0.7")))  # fmt: skip
# (promotion_id, name, promotion_type_id, promotion_type_name)
PROMO_MEMBER = (892, "会员价", 10, "会员价")
PROMO_MEMBER_SPECIAL = (893, "会员折扣", 11, "会员特价")
PROMO_QUICKPAY = (894, "秒付买单立减", 24, "秒付买单优惠")
PROMO_SECOND = (895, "第二份半价", 25, "第二份优惠")
PROMO_LUNCH = (896, "午市特价", 1, "特价")

BRANDS = ((1, "哇哇叫"), (2, "湘里人家"))
DISTRICTS = (
    ("欢乐海岸", "深圳市南山区白石路东8号欢乐海岸1-12铺"),
    ("海岸城", "深圳市南山区文心五路33号海岸城3楼"),
    ("科技园", "深圳市南山区科苑路15号科兴科学园B座1楼"),
    ("车公庙", "深圳市福田区深南大道7008号阳光高尔夫大厦1楼"),
    ("宝安中心", "深圳市宝安区新安四路198号"),
    ("龙华壹方天地", "深圳市龙华区人民路4022号壹方天地B区4楼"),
    ("福田口岸", "深圳市福田区福强路1001号"),
    ("前海", "深圳市南山区前湾一路63号"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("芳", "伟", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "涛",
         "明", "超", "霞", "平", "刚", "桂英", "秀兰", "建华", "晓东", "子豪")  # fmt: skip
