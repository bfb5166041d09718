"""The simulated Pospal chain's static catalogue: goods, taste options, pay methods, names.

A convenience-store-and-tea-bar chain, so that every quantity shape the document mentions
occurs: whole units, boxes sold by the half (``3.5`` 箱) and goods weighed to the gram
(``0.352`` kg). Taste options (口味) are ``ticketitemattributes``: the option as
``attributeName``, its surcharge as text in ``attributeValue`` ("属性值,即口味价格").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

UNIT = "unit"  # whole pieces: 1, 2, 3
CASE = "case"  # boxes, by the half: 0.5, 1, 3.5
WEIGHED = "weighed"  # kilograms to the gram: 0.352


@dataclass(frozen=True)
class Goods:
    """A catalogue entry; each store gives it its own ``productUid`` and may reprice it."""

    name: str
    barcode: str
    kind: str
    buy: Decimal
    sell: Decimal
    member: Decimal  # 会员价; equal to ``sell`` when the goods has none
    tasty: bool = False  # takes taste options


def _g(
    name: str, barcode: str, kind: str, buy: str, sell: str, member: str = "", tasty: bool = False
) -> Goods:
    return Goods(name, barcode, kind, Decimal(buy), Decimal(sell), Decimal(member or sell), tasty)


GOODS: tuple[Goods, ...] = (
    _g("冰摩卡", "6901000000011", UNIT, "10", "24", "22", tasty=True),
    _g("拿铁", "6901000000028", UNIT, "8.5", "22", "20", tasty=True),
    _g("美式咖啡", "6901000000035", UNIT, "6", "18", "16", tasty=True),
    _g("珍珠奶茶", "6901000000042", UNIT, "4.2", "15", "13.5", tasty=True),
    _g("杨枝甘露", "6901000000059", UNIT, "6.8", "19", "17", tasty=True),
    _g("柠檬红茶", "6901000000066", UNIT, "2.1", "12", "", tasty=True),
    _g("芝士蛋糕", "6901000000073", UNIT, "9.6", "26", "23.4"),
    _g("牛角包", "6901000000080", UNIT, "3.2", "9.9", "8.8"),
    _g("全麦吐司", "6901000000097", UNIT, "5.5", "13.8", ""),
    _g("肉松小贝", "6901000000103", UNIT, "2.6", "7.5", "6.9"),
    _g("农夫山泉550ml", "6921168509256", UNIT, "0.95", "2", ""),
    _g("可口可乐330ml", "6928804011173", UNIT, "1.6", "3.5", "3"),
    _g("乐事薯片原味70g", "6924743915763", UNIT, "3.9", "7.5", "6.8"),
    _g("奥利奥夹心饼干", "6901668053138", UNIT, "5.1", "9.9", ""),
    _g("康师傅红烧牛肉面", "6920152400777", UNIT, "2.3", "4.5", ""),
    _g("蒙牛纯牛奶250ml", "6923644268916", UNIT, "2.05", "3.8", "3.5"),
    _g("德芙丝滑牛奶巧克力", "6914973600041", UNIT, "8.4", "15.9", "14.5"),
    _g("青岛啤酒整箱24听", "6901035603881", CASE, "62", "99", "92"),
    _g("怡宝纯净水整箱", "6901285991219", CASE, "18.5", "32", ""),
    _g("王老吉整箱", "6901424333948", CASE, "41", "66", "62"),
    _g("红富士苹果", "2000000000015", WEIGHED, "7.2", "15.8", "13.8"),
    _g("海南香蕉", "2000000000022", WEIGHED, "3.9", "8.6", ""),
    _g("巨峰葡萄", "2000000000039", WEIGHED, "11.5", "22.8", "19.8"),
    _g("散装开心果", "2000000000046", WEIGHED, "58", "96", "88"),
    _g("称重五香瓜子", "2000000000053", WEIGHED, "16", "29.9", ""),
    _g("关东煮套餐", "2000000000060", UNIT, "4.8", "12", "10.8"),
    _g("饭团(金枪鱼)", "6901000000110", UNIT, "3.1", "7.8", ""),
    _g("一次性雨伞", "6901000000127", UNIT, "6", "15", ""),
)

# (option, surcharge): the surcharge is added to the unit price and written as text.
TASTE_OPTIONS: tuple[tuple[str, Decimal], ...] = (
    ("少糖", Decimal(0)),
    ("无糖", Decimal(0)),
    ("加冰", Decimal(0)),
    ("去冰", Decimal(0)),
    ("热饮", Decimal(0)),
    ("加珍珠", Decimal(2)),
    ("加椰果", Decimal(2)),
    ("加奶盖", Decimal(3)),
    ("加浓缩", Decimal(4)),
    ("加粮", Decimal(1)),
)

CASH_CODE = "payCode_1"
CASH_NAME = "现金"
# Every store has these three, at store-specific codes; orders pay online with the first two.
WECHAT, ALIPAY, BALANCE = "微信支付", "支付宝", "储值卡"
OPTIONAL_PAY_NAMES = ("银联卡", "美团券", "抖音团购", "购物卡", "赊账", "数字人民币", "云闪付")

STORE_NAMES = (
    "福田中心店",
    "南山科技园店",
    "罗湖东门店",
    "宝安西乡店",
    "龙华清湖店",
    "龙岗大运店",
    "前海自贸店",
    "蛇口海上世界店",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "杰", "涛", "明", "霞", "平")
ADDRESSES = (
    "深圳市福田区福华三路88号",
    "深圳市南山区科苑南路2666号",
    "深圳市罗湖区解放路2001号",
    "深圳市宝安区西乡大道299号",
    "深圳市龙华区清湖路18号",
)
TICKET_REMARKS = ("收银测试", "打包", "会员生日", "少冰", "顾客自带杯", "发票已开")
ORDER_REMARKS = ("不要辣", "尽快送达", "放门卫室", "少糖少冰", "需要餐具2份")
