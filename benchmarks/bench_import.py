"""Import benchmark: messages/s and peak memory per format, into an empty store and re-imported.

    python benchmarks/bench_import.py                  # 1,000,000 messages per format (XLSX: --xlsx-n rows)
    python benchmarks/bench_import.py --n 20000        # a quick run
    python benchmarks/bench_import.py --write-docs     # also record the results in docs/performance.md
    python benchmarks/bench_import.py --profile jd-log # where one import's time goes: stages, then cProfile
    python benchmarks/bench_import.py --formats jd-many --many-files 20 --many-n 10000   # a quick many-files run

Inputs are synthetic, seeded and cached in --workdir (regenerated only when N, the seed or the generator
changes). Seven formats, one per registered platform format (detected by content) plus a mapped one: a JD chat
log (UTF-8), a Pinduoduo CSV (UTF-8 with BOM), a Douyin-style XLSX read through a column mapping, a Taobao
account TXT (GBK, CRLF), a Taobao message-manager TXT (UTF-8), a Taobao per-message XLSX and a Youzan
session-detail XLSX. One more scenario, `jd-many`, is a directory of small JD logs (--many-files of them,
--many-n messages in all) imported as one argument: what each file costs on top of its messages.

Per format, in a fresh empty store: (a) import the file; (b) import a copy with the same messages but
different bytes (JD: CRLF line endings; CSV: re-encoded as GB18030; Taobao account TXT: UTF-8 with LF;
message-manager TXT: GBK with CRLF; XLSX: a zip comment added), so the content-hash short-cut does not apply
and every message goes through de-duplication.

Each measurement runs in its own child process and reports that child's ru_maxrss. On Linux a child's
ru_maxrss starts from its parent's peak RSS at the time of the fork/exec, so the parent here never loads
the inputs or chatlog: inputs are generated in children of their own and the parent stays at ~15 MB. VmHWM
(/proc/self/status, the child's own address space only) is recorded as a cross-check.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import csv
import datetime as dt
import io
import itertools
import json
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

if TYPE_CHECKING:  # the parent process never imports chatlog (see the module docstring)
    from chatlog_cli.importer import FileResult

ROOT: Final = Path(__file__).resolve().parent.parent
GENERATOR_VERSION: Final = 4  # bump when the generated content changes: cached inputs are then regenerated
FORMATS: Final = (
    "jd-log", "pdd-csv", "xlsx-mapped", "taobao-txt", "taobao-im", "taobao-sheet", "youzan-xlsx", "jd-many",
)  # fmt: skip
# Scenarios whose input is a directory of small exports, and the format each of its files is written in: one
# generator stream cut into consecutive whole conversations, one file per chunk (Taobao's message manager writes
# a TXT per contact, JD consoles a log per day). The issue sets no target for them: the speed column says n/a.
MANY_FILES: Final = {"jd-many": "jd-log"}
CONVERSATION_MAX: Final = 12  # messages; a file of the many-files scenarios holds at least one whole conversation
TARGETS: Final = {
    "jd-log": 200_000,
    "pdd-csv": 500_000,
    "xlsx-mapped": 100_000,
    "taobao-txt": 200_000,
    "taobao-im": 200_000,
    "taobao-sheet": 100_000,
    "youzan-xlsx": 100_000,
}
XLSX_FORMATS: Final = ("xlsx-mapped", "taobao-sheet", "youzan-xlsx")  # sized by --xlsx-n
# The registered format each benchmark file must be detected as (None: imported with a mapping).
DETECTED: Final = {
    "jd-log": "jd-log",
    "pdd-csv": "pdd-csv",
    "xlsx-mapped": None,
    "taobao-txt": "taobao-txt",
    "taobao-im": "taobao-im",
    "taobao-sheet": "taobao-sheet",
    "youzan-xlsx": "youzan",
    "jd-many": "jd-log",
}
TAOBAO_STYLES: Final = ("taobao-txt", "taobao-im", "taobao-sheet")
BOT_STYLES: Final = ("jd-log", *TAOBAO_STYLES, "youzan-xlsx")
TAOBAO_SHOP: Final = "云裳旗舰店"  # one shop per Taobao export: agents are its sub-accounts 店铺:子账号
YOUZAN_SHOP: Final = "有赞小店"  # one shop per Youzan export: agents 店铺-昵称
TAOBAO_PLACEHOLDER: Final = "请在客户端查看原始聊天记录，网页版无法展示"
MEMORY_TARGET_MB: Final = 1536  # 1.5 GB, in MiB as ru_maxrss (KiB) / 1024
MONTH_START: Final = dt.datetime(2026, 10, 1)
MONTH_SECONDS: Final = 31 * 86400
POOL: Final = 1_000  # buyers and agents

MAPPING: Final = """platform = "douyin"
[columns]
conversation_id = "会话编号"
buyer = "顾客昵称"
agent = "接待客服"
sender = "发送人"
sender_role = "身份"
sent_at = "时间"
content = "内容"
order_id = "订单号"
[roles]
buyer = ["顾客"]
agent = ["客服"]
"""

# --- content -------------------------------------------------------------------------------------------------
# Template sentences; {p} product, {c} colour, {s} size, {k} count, {d} days, {x} courier, {a} amount, {t} time,
# {city} a city, {h}/{w} height/weight. Slots and suffixes vary the texts: common phrases repeat a lot, filled
# templates repeat less, and some texts carry a number (order, tracking, phone tail) and are unique.

PRODUCTS: Final = (
    "连衣裙", "运动鞋", "保温杯", "蓝牙耳机", "电饭煲", "羽绒服", "双肩包", "面膜", "洗发水", "充电宝", "床上四件套",
    "电动牙刷", "卫衣", "牛仔裤", "空气炸锅", "猫粮", "儿童水杯", "手机壳", "台灯", "拖鞋", "毛衣", "行李箱",
    "扫地机器人", "口红", "咖啡豆", "数据线", "保暖内衣", "雨伞", "餐具套装", "瑜伽垫",
)  # fmt: skip
COLORS: Final = ("黑色", "白色", "米白", "雾霾蓝", "酒红", "卡其", "灰色", "粉色", "墨绿", "藏青")
SIZES: Final = ("S", "M", "L", "XL", "XXL", "36", "37", "38", "39", "40", "41", "42", "均码")
COURIERS: Final = ("顺丰", "中通", "圆通", "韵达", "京东快递", "邮政", "极兔", "申通")
CITIES: Final = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "重庆", "长沙", "郑州")
BUYER_SUFFIXES: Final = ("", "", "", "", "？", "呀", "呢", "啊", "~", "！", "。", "??", "[微笑]", "#E-s25")
AGENT_SUFFIXES: Final = ("", "", "", "", "", "哦", "~", "呢", "。", "！", "[微笑]", "[玫瑰]")

BUYER_TEMPLATES: Final = (
    "在吗", "在吗？", "你好", "您好，在吗", "有人吗", "客服在吗", "你好，问一下", "亲，在不在", "hello",
    "这款{p}什么时候发货", "{p}还有{c}的吗", "{p}有{s}码吗", "{s}码还有货吗", "{p}是正品吗", "这个{p}保修多久",
    "{c}和{c}哪个好看", "{p}是现货吗", "{p}多久能补货", "{p}和图片上一样吗", "{p}有实物图吗", "{p}有视频吗",
    "{p}适合送人吗", "{p}能用多久", "{p}怎么清洗", "{p}有说明书吗", "{p}是什么材质的", "{p}重不重",
    "我的快递怎么还没到", "快递{d}天了还没到", "物流怎么一直不更新", "能发{x}吗", "可以指定{x}吗",
    "今天下单今天能发吗", "{t}前下单能当天发吗", "发{city}要几天", "到{city}包邮吗", "快递显示签收了但我没收到",
    "快递员说放驿站了，哪个驿站", "能送货上门吗", "偏远地区发货吗", "什么时候能到{city}",
    "退款什么时候到账", "我申请退款了，麻烦处理一下", "怎么退货", "退货地址是哪里", "退货运费谁出", "支持七天无理由吗",
    "我不想要了，能取消订单吗", "已经寄回去了，什么时候退款", "退款被拒绝了为什么", "换货怎么操作", "能换个{c}吗",
    "能换{s}码吗", "退款{d}天了还没到账",
    "尺码偏大还是偏小", "我身高{h}体重{w}斤穿什么码", "平时穿{s}码选哪个", "{p}洗了会缩水吗", "{p}会掉色吗",
    "这个材质是什么", "有没有味道", "起球吗", "透气吗", "冬天穿冷不冷", "能机洗吗",
    "收到的{p}是破的", "少发了一件", "发错颜色了，我要的是{c}", "{p}有异味", "质量太差了我要投诉",
    "{p}用了{d}天就坏了", "{p}充不进电", "{p}开不了机", "包装都压坏了", "怎么跟图片不一样", "线头太多了",
    "优惠券怎么用不了", "还能便宜点吗", "买{k}件有优惠吗", "有赠品吗", "能开发票吗", "发票抬头写公司可以吗",
    "满减活动还有吗", "价保吗，降价了{a}元", "会员有折扣吗", "双十一还会降价吗", "有没有运费险",
    "我要改一下收货地址", "地址写错了，改成{city}", "能帮我备注一下吗", "能晚几天发吗", "可以合并发货吗",
    "电话号码写错了", "收件人改一下", "能不能先别发",
    "好的", "好的谢谢", "谢谢", "嗯嗯", "嗯", "知道了", "那我下单了", "已经下单了，尽快发货哦",
    "收到了，挺好的", "行吧", "？？？", "怎么不回复", "能快点吗", "好", "OK", "哦哦", "明白了", "那算了",
    "麻烦了", "辛苦了", "好评已经给了", "下次还来", "那我再看看", "等你消息",
)  # fmt: skip
AGENT_TEMPLATES: Final = (
    "亲，在的呢", "您好，很高兴为您服务", "亲，有什么可以帮您的吗", "在的亲，请问有什么可以帮您",
    "亲，现货48小时内发货哦", "亲，{p}是现货的，{t}前下单当天发", "亲，{c}还有货的哦", "{s}码还有少量库存哦亲",
    "亲，{p}预计{d}天后补货", "亲，我们是品牌直营，保证正品", "亲，{p}保修一年哦", "亲，实物和图片一致的",
    "亲，{p}可以送人的，包装很精美", "亲，默认发{x}，不支持指定快递哦", "亲，可以备注发{x}，需要补运费{a}元",
    "亲，发{city}一般{d}天左右到", "亲，{city}是包邮的哦",
    "亲，帮您查一下物流哦，请稍等", "亲，查到了，包裹在中转站，预计明天派送", "已经帮您催促快递加急派送了",
    "亲，快递放在小区驿站了，凭取件码领取", "亲，这边帮您联系快递核实一下", "亲，物流信息更新有延迟，请耐心等待",
    "亲，偏远地区也可以发的，时效慢一点", "亲，快递是送货上门的，如果没送可以投诉快递员",
    "亲，退款原路退回，1-3个工作日到账", "亲，已经帮您同意退款了", "亲，在订单页点申请售后就可以退货",
    "亲，退货地址以售后页面显示为准哦", "亲，有运费险的话退货运费会自动理赔", "亲，支持七天无理由退换的",
    "亲，订单还没发货，可以直接取消", "亲，仓库收到退货后24小时内处理退款", "亲，帮您换成{c}可以吗",
    "亲，换货请在售后申请里选择换货", "亲，退款被拒是因为商品影响二次销售哦",
    "亲，这款版型正常，建议按平时尺码选", "亲，身高{h}体重{w}斤建议选{s}码", "亲，{p}不会缩水的，建议冷水手洗",
    "亲，{p}是纯棉的，第一次洗可能有少量浮色", "亲，面料是聚酯纤维的哦", "亲，新货有一点味道，通风几天就好",
    "亲，这款是加绒的，冬天穿很暖和", "亲，可以机洗的，建议翻面装洗衣袋",
    "非常抱歉，马上给您补发", "非常抱歉给您带来不好的体验", "亲，麻烦拍一下破损的照片发过来",
    "亲，漏发的这边马上给您补寄", "亲，发错了非常抱歉，帮您换货，来回运费我们承担",
    "亲，{p}有质量问题的话可以直接退换", "亲，麻烦提供一下视频，我们反馈给质检", "亲，先试试长按电源键{d}秒",
    "亲，这边给您申请{a}元补偿可以吗", "亲，您的反馈我们已经记录，会改进的",
    "亲，优惠券满99元可用哦", "亲，这已经是活动价了哦", "亲，买{k}件可以享受九折", "亲，下单送小礼品一份",
    "可以的亲，在订单详情页申请电子发票", "亲，发票抬头可以写公司，需要提供税号", "亲，满减活动到月底结束",
    "亲，降价的差价这边给您补{a}元", "亲，会员购物享95折哦", "亲，每单都送运费险的",
    "好的，已经帮您修改成功啦", "亲，地址已经帮您改成{city}了", "好的亲，已经帮您备注了",
    "亲，可以的，帮您延迟{d}天发货", "亲，同一地址的订单可以合并发货", "亲，发货前都可以修改地址的",
    "亲，已经帮您拦截了，暂时不发",
    "不客气，祝您购物愉快~", "亲，还有其他可以帮您的吗", "感谢您的支持，期待下次光临", "好的亲", "收到",
    "亲，您看还有什么问题吗", "亲，稍等一下哦", "亲，正在为您查询", "亲，让您久等了", "好的，有问题随时联系我们",
    "亲，麻烦给个五星好评哦", "亲，这边已经给您登记了", "亲，请问还在吗？", "亲，没有问题的话我先结束会话啦",
    "亲，{p}有{c}和{c}两个颜色", "亲，{p}今天下单享受{a}元立减", "亲，{s}码已经断货了，{c}还有",
    "亲，{p}是新款，上周刚上架", "亲，这款{p}销量很好，回购率很高", "亲，{p}支持以旧换新哦",
    "亲，{p}包装里有说明书和保修卡", "亲，{p}的保质期是两年", "亲，{p}是{city}仓发货的",
    "亲，您的包裹已经到{city}了", "亲，{x}今天已经揽收了", "亲，物流显示明天送达",
    "亲，仓库今天爆单，预计{d}天内发出", "亲，已经给您加急处理了", "亲，快递单号已经同步到订单里了",
    "亲，退货寄回时请附上纸条写明订单号", "亲，售后申请已经帮您审核通过", "亲，退款已经原路退回，请注意查收",
    "亲，您寄回的{p}仓库还没签收哦", "亲，换货的新{p}已经寄出", "亲，拒收的话退款会在签收后处理",
    "亲，{p}建议拍大一码", "亲，您可以参考详情页的尺码表", "亲，{p}偏厚，适合秋冬",
    "亲，{p}第一次使用前请先充满电", "亲，{p}不建议放洗碗机", "亲，{p}可以用{d}年以上",
    "亲，给您带来不便真的很抱歉", "亲，这个问题已经反馈给主管了", "亲，我们会在24小时内给您答复",
    "亲，图片收到了，这边马上处理", "亲，破损的{p}不用寄回了", "亲，补偿的{a}元已经打到您的账户",
    "亲，店铺关注后可以领{a}元券", "亲，凑单满{k}件包邮哦", "亲，赠品随{p}一起发出",
    "亲，电子发票会在发货后开具", "亲，价格已经是最低了哦", "亲，活动价以下单时显示为准",
    "亲，新地址是{city}对吧？", "亲，已经帮您备注好了，放心", "亲，这边看不到您的订单，麻烦发一下订单号",
)  # fmt: skip
BOT_LINES: Final = (
    "您好，欢迎光临本店，客服小助手为您服务~",
    "亲，人工客服马上就来，请稍候",
    "【此消息为欢迎卡片或富文本模板答案，聊天记录中暂不支持展示】",
    "亲，现在是咨询高峰期，请您耐心等待哦",
)
SHOP_BOT_LINES: Final = (  # Taobao 店小蜜 and Youzan 机器人 (no JD welcome-card placeholder)
    "亲，店小蜜为您服务~",
    "您好，欢迎光临，请问有什么可以帮您",
    "亲，人工客服马上就来，请稍候",
    "亲，现在是咨询高峰期，请您耐心等待哦",
)
YOUZAN_SYSTEM_LINES: Final = (
    "客户已进入会话",
    "会话已转接给客服{agent}",
    "客服{agent}已接入会话",
    "会话已超时结束",
    "客服已结束会话",
)
SYSTEM_LINES: Final = (
    "买家已进入会话",
    "会话已转接给客服{agent}",
    "客服{agent}已接入会话",
    "会话已结束",
    "买家已确认收货",
    "买家发起了退款申请",
)
AGENT_NAMES: Final = (
    "小美", "小雪", "阿杰", "小七", "甜甜", "小鱼", "大壮", "橙子", "小婷", "阿宝", "小月", "木木", "可可", "小安",
    "乐乐", "小北", "西西", "小南", "糖糖", "小楠", "晴天", "小鹿", "豆豆", "果果", "阿飞", "小白", "欢欢", "小琪",
    "一一", "团团", "朵朵", "小满", "小九", "暖暖", "星星", "安安", "小禾", "青青", "多多", "米粒", "小舟", "七七",
    "小溪", "六六", "芒果", "小辉", "圆圆", "小悦", "阿福", "诺诺",
)  # fmt: skip
SHOPS: Final = (
    "优品生活旗舰店", "云朵家居", "蓝鲸数码", "木子服饰", "暖阳母婴", "星河美妆", "山野户外", "小米粒食品",
    "京选百货", "拾光鞋履", "橙心电器", "花间集", "北纬运动", "悦己个护", "有间书屋", "小熊宠物", "匠心厨具",
    "清风箱包", "逸品茶叶", "晨光文具",
)  # fmt: skip
CN_NICK_CHARS: Final = "小大阿老猫狗鱼兔熊鹿星月云风花草叶雪糖果甜豆米乐安宝贝可爱快乐开心芒柚橙桃"


@dataclass(slots=True)
class Message:
    role: str  # buyer | agent | bot | system
    sender: str
    sent_at: str
    kind: str  # text | image
    content: str


@dataclass(slots=True)
class Conversation:
    number: int
    buyer_latin: str  # JD: j****ab
    buyer_cn: str  # PDD / XLSX: 小**猫
    buyer_id: str
    agent: str
    order_id: str
    messages: list[Message] = field(default_factory=list)


class ContentGenerator:
    """Seeded conversations with Chinese customer-service content."""

    def __init__(self, seed: int, style: str) -> None:
        self.rng = random.Random(f"{seed}:{style}")
        self.style = style
        rng = self.rng
        latin = "abcdefghijklmnopqrstuvwxyz0123456789"
        self.buyers = [
            (
                f"{rng.choice(latin[:26])}****{rng.choice(latin)}{rng.choice(latin)}{i % 10}",
                f"{rng.choice(CN_NICK_CHARS)}**{rng.choice(CN_NICK_CHARS)}",
                str(rng.randrange(10**9, 10**10)),
            )
            for i in range(POOL)
        ]
        self.agents = [
            f"{SHOPS[i % len(SHOPS)]}-{AGENT_NAMES[i // len(SHOPS) % len(AGENT_NAMES)]}" for i in range(POOL)
        ]
        self.robot = "jimi_vender_10086" if style == "jd-log" else "店小蜜"
        if style in TAOBAO_STYLES:  # one shop's export: its sub-accounts; buyers are tb nicks
            self.agents = [f"{TAOBAO_SHOP}:{AGENT_NAMES[i % len(AGENT_NAMES)]}" for i in range(POOL)]
            self.buyers = [(latin, f"tb{number[1:]}", number) for latin, _, number in self.buyers]
        elif style == "youzan-xlsx":
            self.agents = [f"{YOUZAN_SHOP}-{AGENT_NAMES[i % len(AGENT_NAMES)]}" for i in range(POOL)]

    def fill(self, template: str) -> str:
        rng = self.rng
        if "{" not in template:
            return template
        return template.format(
            p=rng.choice(PRODUCTS),
            c=rng.choice(COLORS),
            s=rng.choice(SIZES),
            k=rng.randint(2, 5),
            d=rng.randint(2, 15),
            x=rng.choice(COURIERS),
            a=rng.choice((5, 10, 15, 20, 30, 50)),
            t=rng.choice(("下午4点", "下午5点", "晚上8点")),
            city=rng.choice(CITIES),
            h=rng.randrange(150, 186, 5),
            w=rng.randrange(90, 181, 10),
        )

    def text(self, role: str, conv: Conversation) -> tuple[str, str]:
        """(kind, content) of one message."""
        rng = self.rng
        if role == "system":
            lines = YOUZAN_SYSTEM_LINES if self.style == "youzan-xlsx" else SYSTEM_LINES
            return "text", rng.choice(lines).format(agent=conv.agent)
        if role == "bot":
            return "text", rng.choice(BOT_LINES if self.style == "jd-log" else SHOP_BOT_LINES)
        roll = rng.random()
        if roll < 0.03:
            if self.style in TAOBAO_STYLES and rng.random() < 0.5:  # the web console's placeholder
                return "image", TAOBAO_PLACEHOLDER
            return "image", self.image_url()
        if role == "buyer" and roll < 0.045 and conv.order_id and self.style == "jd-log":
            return (
                "text",
                f"您选择了一个订单进行咨询（订单号：{conv.order_id}；商品编号：{rng.randrange(10**11, 10**12)}）",
            )
        templates, suffixes = (
            (BUYER_TEMPLATES, BUYER_SUFFIXES) if role == "buyer" else (AGENT_TEMPLATES, AGENT_SUFFIXES)
        )
        text = self.fill(rng.choice(templates)) + rng.choice(suffixes)
        if roll > 0.90:  # a number makes the text unique
            text += rng.choice(("，订单号", "，单号", "，快递单号SF", "，手机尾号")) + str(rng.randrange(10**4, 10**13))
        elif roll > 0.87:  # a second line
            text += "\n" + self.fill(rng.choice(templates))
        return "text", text

    def image_url(self) -> str:
        rng = self.rng
        host = {
            "jd-log": "https://img30.360buyimg.com/imgzone/jfs/t1/",
            "pdd-csv": f"https://img.pddpic.com/mms-material-img/2026-10-{rng.randint(1, 31):02d}/",
            "taobao-txt": "https://img.alicdn.com/imgextra/i2/",
            "taobao-im": "https://img.alicdn.com/imgextra/i3/",
            "taobao-sheet": "https://img.alicdn.com/imgextra/i4/",
            "youzan-xlsx": "https://img01.yzcdn.cn/upload_files/2026/10/",
        }.get(self.style, "https://p3-im.douyinpic.com/img/")
        return f"{host}{rng.randrange(10**8, 10**9)}/{rng.getrandbits(64):016x}.jpg"

    def order_id(self, when: dt.datetime) -> str:
        rng = self.rng
        if self.style == "pdd-csv":
            return f"{when:%y%m%d}-{rng.randrange(10**14, 10**15)}"
        if self.style == "jd-log":
            return str(rng.randrange(10**11, 10**12))
        if self.style in TAOBAO_STYLES:  # 19 digits (a string: Excel would round it as a number)
            return str(rng.randrange(10**18, 4 * 10**18))
        if self.style == "youzan-xlsx":
            return f"E{when:%Y%m%d%H%M%S}{rng.randrange(10**9, 10**10)}"
        return str(rng.randrange(69 * 10**17, 70 * 10**17))

    def roles(self, size: int) -> list[str]:
        rng = self.rng
        roles = ["buyer"]
        for _ in range(size - 1):
            previous = roles[-1]
            roll = rng.random()
            if self.style in BOT_STYLES and roll < 0.02 and len(roles) < 3:
                roles.append("bot")  # JD jimi, Taobao 店小蜜, Youzan 机器人: early in a conversation
            elif self.style in ("pdd-csv", "youzan-xlsx") and roll < 0.04:
                roles.append("system")
            elif roll < 0.72:  # mostly alternating, sometimes two in a row
                roles.append("agent" if previous != "agent" else "buyer")
            else:
                roles.append("buyer" if previous == "agent" else "agent")
        return roles

    def conversations(self, n: int) -> Iterator[Conversation]:
        """Conversations of 8–12 messages, exactly n messages in all, starts spread over October 2026."""
        rng = self.rng
        expected = max(1, n // 10)
        made = number = 0
        while made < n:
            size = min(rng.randint(8, CONVERSATION_MAX), n - made)
            offset = int((number + rng.random()) * (MONTH_SECONDS - 3600) / expected)
            when = MONTH_START + dt.timedelta(seconds=min(offset, MONTH_SECONDS - 3600))
            buyer = self.buyers[rng.randrange(POOL)]
            if self.style == "taobao-im":  # one file is one contact's history
                buyer = self.buyers[0]
            conv = Conversation(number, *buyer, agent=self.agents[rng.randrange(POOL)], order_id="")
            if rng.random() < 0.4:
                conv.order_id = self.order_id(when)
            for role in self.roles(size):
                sender = {"buyer": buyer[0] if self.style == "jd-log" else buyer[1], "agent": conv.agent}.get(role, "")
                if role == "bot":
                    sender = self.robot
                elif role == "agent" and self.style in ("taobao-txt", "taobao-sheet") and rng.random() < 0.05:
                    sender = TAOBAO_SHOP  # the main account (bare shop nick)
                kind, content = self.text(role, conv)
                conv.messages.append(Message(role, sender, f"{when:%Y-%m-%d %H:%M:%S}", kind, content))
                when += dt.timedelta(seconds=rng.randint(3, 150))
            yield conv
            made += size
            number += 1


# --- writers -------------------------------------------------------------------------------------------------


def write_jd(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """The log (UTF-8, LF) and the same text with CRLF line endings."""
    with path.open("w", encoding="utf-8", newline="\n") as lf, copy.open("w", encoding="utf-8", newline="\r\n") as crlf:
        for conv in convs:
            parts = ["/*****************以下为一通会话************************************/\n"]
            for m in conv.messages:
                parts.append(f"{m.sender} {m.sent_at}\n{m.content}\n")
            end = dt.datetime.strptime(conv.messages[-1].sent_at, "%Y-%m-%d %H:%M:%S") + dt.timedelta(seconds=41)
            parts.append(f"/*****************会话结束_时间:{end:%Y-%m-%d %H:%M:%S}******************/\n")
            text = "".join(parts)
            lf.write(text)
            crlf.write(text)


PDD_HEADER: Final = [
    "会话ID",
    "买家ID",
    "买家昵称",
    "客服账号",
    "发送方",
    "消息类型",
    "消息内容",
    "发送时间",
    "订单编号",
]
PDD_ROLES: Final = {"buyer": "买家", "agent": "客服", "system": "系统"}


def write_pdd(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """The CSV (UTF-8 with BOM) and the same rows re-encoded as GB18030."""
    handles: list[TextIO] = [
        path.open("w", encoding="utf-8-sig", newline=""),
        copy.open("w", encoding="gb18030", newline=""),
    ]
    try:
        writers = [csv.writer(h) for h in handles]
        for w in writers:
            w.writerow(PDD_HEADER)
        for conv in convs:
            session = f"{conv.buyer_id}_{conv.number:08d}"
            rows = [
                [
                    session,
                    conv.buyer_id,
                    conv.buyer_cn,
                    conv.agent,
                    PDD_ROLES[m.role],
                    "图片" if m.kind == "image" else "文本",
                    m.content,
                    m.sent_at,
                    conv.order_id,
                ]
                for m in conv.messages
            ]
            for w in writers:
                w.writerows(rows)
    finally:
        for h in handles:
            h.close()


XLSX_HEADER: Final = ["会话编号", "顾客昵称", "接待客服", "发送人", "身份", "时间", "内容", "订单号"]


def write_xlsx(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """A workbook (openpyxl write-only: inline strings, as streaming exporters write) and a copy with a zip comment."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("会话明细")
    sheet.append(XLSX_HEADER)
    for conv in convs:
        session = f"DY{conv.number:09d}"
        order = conv.order_id or None
        for m in conv.messages:
            role = "顾客" if m.role == "buyer" else "客服"
            sheet.append([session, conv.buyer_cn, conv.agent, m.sender, role, m.sent_at, m.content, order])
    save_with_copy(workbook, path, copy)


TAOBAO_RULE: Final = "=" * 64
TAOBAO_DASHES: Final = "-" * 28
TAOBAO_ROLES: Final = {"buyer": "客户", "agent": "客服", "bot": "机器人"}


def write_taobao_txt(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """An account TXT (GBK, CRLF, as 千牛 writes it) and the same text as UTF-8 with LF line endings.

    One block per buyer with all of that buyer's conversations, blocks in order of first contact; a short
    群聊 section at the end (skipped by the parser, not counted as messages).
    """
    blocks: dict[str, list[str]] = {}
    for conv in convs:
        nick = f"cntaobao{conv.buyer_cn}"
        lines = blocks.setdefault(nick, [])
        for m in conv.messages:
            sender = f"cntaobao{m.sender}" if m.role == "buyer" else m.sender
            lines.append(f"{sender}({m.sent_at}):  {m.content}\n")
    parts = [f"{TAOBAO_SHOP}:{AGENT_NAMES[0]}\n", f"{TAOBAO_RULE}\n", f"{' ' * 30}单聊\n", f"{TAOBAO_RULE}\n"]
    parts += [f"{TAOBAO_DASHES}{nick}{TAOBAO_DASHES}\n{''.join(lines)}\n" for nick, lines in blocks.items()]
    parts += [f"{TAOBAO_RULE}\n", f"{' ' * 30}群聊\n", f"{TAOBAO_RULE}\n"]
    parts += [
        f"{TAOBAO_SHOP}老客群(2026-10-31 20:00:0{i}):  {text}\n"
        for i, text in enumerate(("今晚8点上新，老客九折", "收到", "有没有优惠券"))
    ]
    with path.open("w", encoding="gbk", newline="\r\n") as gbk, copy.open("w", encoding="utf-8", newline="\n") as lf:
        for text in parts:
            gbk.write(text)
            lf.write(text)


def write_taobao_im(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """A message-manager TXT (UTF-8, LF): one contact's history, a bare date line whenever the day changes; the
    copy is the same text as GBK with CRLF line endings."""
    with path.open("w", encoding="utf-8", newline="\n") as lf, copy.open("w", encoding="gbk", newline="\r\n") as gbk:
        lf.write("即时消息\n")
        gbk.write("即时消息\n")
        day = ""
        for conv in convs:
            parts = []
            for m in conv.messages:
                if m.sent_at[:10] > day:  # conversations overlap a little: only move forward
                    day = m.sent_at[:10]
                    parts.append(f"\n{day}\n")
                parts.append(f"{m.sent_at} {m.sender}: {m.content}\n")
            text = "".join(parts)
            lf.write(text)
            gbk.write(text)


TAOBAO_SHEET_HEADER: Final = [
    "客户名",
    "消息序号",
    "发送时间",
    "发送内容",
    "发送账号",
    "账号类型",
    "会话ID",
    "订单号",
    "消息状态",
]
TAOBAO_SHEET_ROWS: Final = 250_000  # rows per sheet (the real export has one sheet per buyer)


def write_taobao_sheet(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """A 千牛 per-message workbook: a 导出汇总 summary sheet (skipped by the parser), then sheets of at most
    TAOBAO_SHEET_ROWS rows (whole conversations); a copy with a zip comment."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    summary = workbook.create_sheet("导出汇总")
    summary.append(["导出时间", "2026-11-01 09:00:00"])
    summary.append(["导出范围", "2026-10-01 至 2026-10-31"])
    sheet, rows = None, TAOBAO_SHEET_ROWS
    for conv in convs:
        if rows + len(conv.messages) > TAOBAO_SHEET_ROWS:
            sheet = workbook.create_sheet(f"聊天记录{len(workbook.worksheets)}")
            sheet.append(TAOBAO_SHEET_HEADER)
            rows = 0
        assert sheet is not None
        buyer = f"cntaobao{conv.buyer_cn}"
        session = f"TB{8_000_000_000 + conv.number}"
        order = conv.order_id or None
        for seq, m in enumerate(conv.messages, start=1):
            sender = buyer if m.role == "buyer" else m.sender
            role = TAOBAO_ROLES[m.role]
            sheet.append([buyer, seq, m.sent_at, m.content, sender, role, session, order, "已读"])
        rows += len(conv.messages)
    save_with_copy(workbook, path, copy)


YOUZAN_HEADER: Final = ["会话ID", "客户昵称", "接待客服", "发送方", "消息内容", "消息时间", "会话来源", "结束方式"]
YOUZAN_ROLES: Final = {"buyer": "客户", "agent": "客服", "bot": "机器人", "system": "系统"}
YOUZAN_SOURCES: Final = ("微信公众号", "小程序", "H5商城", "微信小程序", "APP")
YOUZAN_ENDINGS: Final = ("客服结束", "超时结束", "客户结束")


def write_youzan(convs: Iterator[Conversation], path: Path, copy: Path) -> None:
    """A Youzan session-detail workbook (the columns of the example export) and a copy with a zip comment."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("会话明细")
    sheet.append(YOUZAN_HEADER)
    for conv in convs:
        session = f"YZ{conv.messages[0].sent_at[:10].replace('-', '')}{conv.number:06d}"
        source = YOUZAN_SOURCES[conv.number * 7 % len(YOUZAN_SOURCES)]
        ending = YOUZAN_ENDINGS[conv.number * 5 % len(YOUZAN_ENDINGS)]
        for m in conv.messages:
            role = YOUZAN_ROLES[m.role]
            sheet.append([session, conv.buyer_cn, conv.agent, role, m.content, m.sent_at, source, ending])
    save_with_copy(workbook, path, copy)


def save_with_copy(workbook: Any, path: Path, copy: Path) -> None:
    """Save a workbook, and a byte-different copy of it: the same archive with a zip comment."""
    workbook.save(path)
    shutil.copyfile(path, copy)
    with zipfile.ZipFile(copy, "a") as archive:
        archive.comment = b"re-exported copy: same rows, different bytes"


WRITERS: Final = {
    "jd-log": (write_jd, "log"),
    "pdd-csv": (write_pdd, "csv"),
    "xlsx-mapped": (write_xlsx, "xlsx"),
    "taobao-txt": (write_taobao_txt, "txt"),
    "taobao-im": (write_taobao_im, "txt"),
    "taobao-sheet": (write_taobao_sheet, "xlsx"),
    "youzan-xlsx": (write_youzan, "xlsx"),
}


def write_many(name: str, n: int, files: int, seed: int, directory: Path, copies: Path) -> None:
    """A directory of `files` exports with n messages in all (part-0001.log, …), and one of their copies.

    One generator stream, cut into consecutive chunks of whole conversations: the same messages as the single
    file of n messages, so the two scenarios differ only in how many files carry them.
    """
    style = MANY_FILES[name]
    writer, ext = WRITERS[style]
    directory.mkdir(parents=True)
    copies.mkdir(parents=True)
    convs = ContentGenerator(seed, style).conversations(n)
    for number, chunk in enumerate(chunks(convs, n // files, files), start=1):
        part = f"part-{number:04d}.{ext}"
        writer(chunk, directory / part, copies / part)


def chunks(convs: Iterator[Conversation], per_file: int, files: int) -> Iterator[Iterator[Conversation]]:
    """Consecutive conversations, grouped by the file they go to: a new file every `per_file` messages.

    A conversation goes to the file its first message falls in, so with per_file >= CONVERSATION_MAX no file is
    empty and there are exactly `files` of them; the last one also takes the remainder of n / files.
    """
    made = 0

    def file_index(conv: Conversation) -> int:
        nonlocal made
        index = min(made // per_file, files - 1)
        made += len(conv.messages)
        return index

    for _, group in itertools.groupby(convs, key=file_index):
        yield group


def input_paths(workdir: Path, name: str, n: int, seed: int, files: int = 1) -> tuple[Path, Path, Path]:
    """(file, copy, manifest) for a format; a many-files scenario's file and copy are directories."""
    if name in MANY_FILES:
        stem = workdir / f"{name}-n{n}-f{files}-s{seed}"
        return stem, Path(f"{stem}-copy"), stem.with_suffix(".json")
    ext = WRITERS[name][1]
    stem = workdir / f"{name}-n{n}-s{seed}"
    return stem.with_suffix(f".{ext}"), Path(f"{stem}-copy.{ext}"), stem.with_suffix(".json")


def generate(name: str, n: int, seed: int, workdir: Path, files: int = 1) -> None:
    """Child process: write a format's file and copy, then its manifest (written last: marks them complete)."""
    path, copy, manifest = input_paths(workdir, name, n, seed, files)
    started = time.perf_counter()
    tmp_path, tmp_copy = path.with_name(path.name + ".tmp"), copy.with_name(copy.name + ".tmp")
    if name in MANY_FILES:
        for directory in (tmp_path, tmp_copy, path, copy):  # an interrupted or outdated run's: replace() needs none
            shutil.rmtree(directory, ignore_errors=True)
        write_many(name, n, files, seed, tmp_path, tmp_copy)
    else:
        WRITERS[name][0](ContentGenerator(seed, name).conversations(n), tmp_path, tmp_copy)
    tmp_path.replace(path)
    tmp_copy.replace(copy)
    info = {
        "generator": GENERATOR_VERSION,
        "format": name,
        "n": n,
        "seed": seed,
        "sizes": [footprint(path), footprint(copy)],
        "seconds": round(time.perf_counter() - started, 1),
    }
    manifest.write_text(json.dumps(info), encoding="utf-8")


def footprint(path: Path) -> int | list[int]:
    """What the cache check compares: a file's size; a directory's number of files and their total size."""
    if path.is_dir():
        sizes = [p.stat().st_size for p in path.iterdir() if p.is_file()]
        return [len(sizes), sum(sizes)]
    return path.stat().st_size


def cached(name: str, n: int, seed: int, workdir: Path, files: int = 1) -> bool:
    path, copy, manifest = input_paths(workdir, name, n, seed, files)
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
        sizes = [footprint(path), footprint(copy)]
    except (OSError, ValueError):
        return False
    return bool(info.get("generator") == GENERATOR_VERSION and info.get("sizes") == sizes)


def prepare(name: str, n: int, seed: int, workdir: Path, files: int = 1) -> tuple[Path, Path]:
    """The format's inputs, generated in a child process unless cached."""
    workdir.mkdir(parents=True, exist_ok=True)
    path, copy, manifest = input_paths(workdir, name, n, seed, files)
    what = f"{n:,} messages" + (f" in {files:,} files" if name in MANY_FILES else "")
    if cached(name, n, seed, workdir, files):
        print(f"  {name}: reusing {path.name} ({what}, seed {seed})", file=sys.stderr)
        return path, copy
    print(f"  {name}: generating {what} …", file=sys.stderr, end="", flush=True)
    command = [sys.executable, __file__, "--generate", name, str(n), str(seed), str(workdir), str(files)]
    subprocess.run(command, check=True)
    print(f" {json.loads(manifest.read_text(encoding='utf-8'))['seconds']} s", file=sys.stderr)
    return path, copy


# --- measurement ---------------------------------------------------------------------------------------------


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class StageClock:
    """Times an import's stages by wrapping chatlog internals in the child (private names: best effort).

    DuckDB pulls the parser's batches while it stages them, so the staging statement's time includes the
    parser's; the parser's share is reported separately (time spent getting each batch).
    """

    def __init__(self) -> None:
        self.stages: list[list[Any]] = []
        self.missing: list[str] = []

    @contextlib.contextmanager
    def stage(self, label: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages.append([label, time.perf_counter() - started])

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.stage(label):
                return function(*args, **kwargs)

        return wrapper

    def install(self) -> None:
        from chatlog_cli import importer
        from chatlog_cli.io import sources
        from chatlog_cli.store import ingest

        clock = self
        hooks: list[tuple[Any, str, Callable[[Any], Any]]] = [
            (sources.Source, "sha256", lambda f: clock.timed("hash the file (sha256)", f)),
            (importer, "ingest", lambda f: clock.timed("ingest, in all (the duckdb and Parquet rows above)", f)),
            (ingest, "_connect", lambda f: lambda store: TimedConnection(f(store), clock)),
            (
                ingest,
                "write_partitions",
                lambda f: clock.timed("write Parquet (pulls the rest of the rows)", f),
            ),
            (
                ingest,
                "compute_fills",
                lambda f: clock.timed("fills: roles, conversations, buyers, agents (incl. the narrow read above)", f),
            ),
        ]
        for owner, name, wrap in hooks:
            if hasattr(owner, name):
                setattr(owner, name, wrap(getattr(owner, name)))
            else:
                self.missing.append(name)
        if hasattr(ingest, "_Counted"):
            counted: Any = ingest._Counted

            class TimedCounted(counted):  # type: ignore[misc]
                def __init__(self, batches: Iterator[Any], on_rows: Any) -> None:
                    super().__init__(clock.batches(batches), on_rows)

            setattr(ingest, "_Counted", TimedCounted)  # noqa: B010 (a private name, patched for timing)
        else:
            self.missing.append("_Counted")

    def batches(self, batches: Iterator[Any]) -> Iterator[Any]:
        spent = 0.0
        while True:
            started = time.perf_counter()
            batch = next(batches, None)
            spent += time.perf_counter() - started
            if batch is None:
                break
            yield batch
        self.stages.append(["  of which: parser (reading, decoding, parsing into Arrow batches)", spent])


def sql_label(sql: str) -> str:
    words = " ".join(sql.split())
    if words.startswith("SELECT") and " AS message_id" in words:
        return "final query (rows joined with their fills and ids, minus stored ones) until its first batch"
    return words[:90] + ("…" if len(words) > 90 else "")


class TimedConnection:
    """A DuckDB connection whose statements are timed."""

    def __init__(self, con: Any, clock: StageClock) -> None:
        self._con = con
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._con, name)
        clock = self._clock
        if name == "cursor":  # each file's own connection to the import run's database
            return lambda: TimedConnection(attribute(), clock)
        if name not in ("execute", "sql"):
            return attribute

        def timed(query: str, *args: Any, **kwargs: Any) -> Any:
            if name == "execute":
                return clock.timed(f"duckdb: {sql_label(query)}", attribute)(query, *args, **kwargs)
            return TimedRelation(attribute(query, *args, **kwargs), clock, sql_label(query.split("FROM (", 1)[-1]))

        return timed


class TimedRelation:
    def __init__(self, relation: Any, clock: StageClock, label: str) -> None:
        self._relation = relation
        self._clock = clock
        self._label = label

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._relation, name)
        if name not in ("to_arrow_reader", "to_arrow_table"):
            return attribute
        return self._clock.timed(f"duckdb: {self._label}", attribute)


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Child process: one import, timed, with this process's peak memory (and its stages if asked)."""
    from chatlog_cli.allocator import keep_freed_memory
    from chatlog_cli.importer import ImportOptions, import_files

    keep_freed_memory()  # what `chatlog import` does before importing

    clock = StageClock()
    if spec.get("stages"):
        clock.install()
    mapping = spec.get("mapping")
    options = ImportOptions(mapping=Path(mapping) if mapping else None)
    profiler = cProfile.Profile() if spec.get("profile") else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = import_files([str(spec["path"])], Path(str(spec["store"])), options)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile"])
    seconds = time.perf_counter() - started
    measured: dict[str, Any] = {
        "seconds": seconds,
        **outcome(report.files),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "hwm_mb": vm_hwm_mb(),
    }
    if spec.get("stages"):
        timed = sum(s for label, s in clock.stages if label.startswith(("hash", "ingest")))
        clock.stages.append(["other (opening the store, detection, parser set-up, import log)", seconds - timed])
        stages = clock.stages
        for i, stage in enumerate(stages[:-1]):  # the parser finishes inside the staging statement: list it after
            if stage[0].lstrip().startswith("of which"):
                stages[i], stages[i + 1] = stages[i + 1], stage
        measured["stages"] = merged(stages) if len(report.files) > 1 else stages
        measured["stage_hooks_missing"] = clock.missing
    return measured


def outcome(files: list[FileResult]) -> dict[str, Any]:
    """What the import did, summed over its files (a directory is imported as one argument: many results)."""
    return {
        "files": len(files),
        "status": status(files),
        "error": next((f.error for f in files if f.error), None),  # the first: the others are usually alike
        "formats": sorted({f.format for f in files}, key=str),
        "rows": sum(f.rows_read for f in files),
        "added": sum(f.messages_added for f in files),
        "duplicates": sum(f.duplicates_skipped for f in files),
        "rejected": sum(f.rejected_rows for f in files),
        "unknown_roles": sum(f.unknown_roles for f in files),
    }


def status(files: list[FileResult]) -> str:
    """The files' status when they all agree (always so for one file), else how many files had each."""
    counts = collections.Counter(f.status for f in files)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{name} ×{count}" for name, count in sorted(counts.items()))


def merged(stages: list[list[Any]]) -> list[list[Any]]:
    """Stages of many files, one line per label (in order of first appearance), with how often it ran."""
    seconds: dict[str, float] = {}
    calls: dict[str, int] = {}
    for label, spent in stages:
        seconds[label] = seconds.get(label, 0.0) + spent
        calls[label] = calls.get(label, 0) + 1
    return [[label if calls[label] == 1 else f"{label} (×{calls[label]})", spent] for label, spent in seconds.items()]


def child_command(
    path: Path, store: Path, mapping: Path | None, stages: bool = False, profile: Path | None = None
) -> list[str]:
    spec = {
        "path": str(path),
        "store": str(store),
        "mapping": str(mapping) if mapping else None,
        "stages": stages,
        "profile": str(profile) if profile else None,
    }
    return [__file__, "--measure", json.dumps(spec)]


def run_child(path: Path, store: Path, mapping: Path | None) -> dict[str, Any]:
    out = subprocess.run([sys.executable, *child_command(path, store, mapping)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"crashed": out.stderr.strip().splitlines()[-20:]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Row:
    name: str
    label: str
    n: int
    result: dict[str, Any]
    problems: list[str]

    def markdown(self) -> str:
        r = self.result
        target = TARGETS.get(self.name)  # none for the many-files scenarios
        target_cell = "—" if target is None else f"{target:,}"
        if "crashed" in r:
            return f"| {self.name} | {self.label} | {self.n:,} | — | — | {target_cell} | — | — | — | FAIL |"
        rate = self.n / r["seconds"]
        speed = "n/a" if target is None else "pass" if rate >= target else "FAIL"
        memory = "pass" if r["peak_mb"] < MEMORY_TARGET_MB else "FAIL"
        check = "FAIL" if self.problems else "ok"
        return (
            f"| {self.name} | {self.import_label()} | {self.n:,} | {r['seconds']:.2f} | {rate:,.0f} | {target_cell} "
            f"| {speed} | {r['peak_mb']:,.0f} | {memory} | {check} |"
        )

    def import_label(self) -> str:
        """The import column: for a directory, also its files and files/s (the per-file cost is the point)."""
        r = self.result
        if self.name not in MANY_FILES or "crashed" in r:
            return self.label
        return f"{self.label}; {r['files']:,} files, {r['files'] / r['seconds']:,.1f} files/s"


def check(result: dict[str, Any], n: int, fresh: bool, detected: str | None = None, files: int = 1) -> list[str]:
    """What is wrong with a measurement, if anything."""
    if "crashed" in result:
        return ["child process crashed:\n    " + "\n    ".join(result["crashed"])]
    problems = []
    if result["files"] != files:
        problems.append(f"{result['files']:,} files imported, expected {files:,}")
    if result["status"] != "imported":
        problems.append(f"status {result['status']!r} (error: {result['error']})")
    if detected is not None and result["formats"] != [detected]:
        shown = ", ".join(repr(f) for f in result["formats"])
        problems.append(f"detected as {shown}, expected {detected!r}")
    added, duplicates, rejected = result["added"], result["duplicates"], result["rejected"]
    expected = (n, 0) if fresh else (0, n)
    if (added, duplicates) != expected:
        problems.append(
            f"messages_added={added:,} duplicates_skipped={duplicates:,}, expected {expected[0]:,}/{expected[1]:,}"
        )
    if rejected:
        problems.append(f"rejected_rows={rejected:,}, expected 0")
    if result["rows"] != n:
        problems.append(f"rows_read={result['rows']:,}, expected {n:,}")
    return problems


def input_size(name: str, args: argparse.Namespace) -> tuple[int, int]:
    """(messages, files) of a format's input."""
    if name in MANY_FILES:
        return args.many_n, args.many_files
    return (args.xlsx_n if name in XLSX_FORMATS else args.n), 1


def bench_format(name: str, args: argparse.Namespace) -> list[Row]:
    n, files = input_size(name, args)
    path, copy = prepare(name, n, args.seed, args.workdir, files)
    mapping = write_mapping(args.workdir) if name == "xlsx-mapped" else None
    store = args.workdir / "stores" / name
    plan = (("empty store", path, True), ("re-import, all duplicates", copy, False))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in plan}
    problems: dict[str, list[str]] = {label: [] for label, _, _ in plan}
    for attempt in range(args.repeat):
        shutil.rmtree(store, ignore_errors=True)
        for label, source, fresh in plan:
            round_label = f" (run {attempt + 1} of {args.repeat})" if args.repeat > 1 else ""
            print(f"  {name}: {label}{round_label} …", file=sys.stderr, end="", flush=True)
            result = run_child(source, store, mapping)
            runs[label].append(result)
            problems[label] += [p for p in check(result, n, fresh, DETECTED[name], files) if p not in problems[label]]
            print(f" {result.get('seconds', float('nan')):.2f} s", file=sys.stderr)
    return [Row(name, label, n, typical(runs[label]), problems[label]) for label, _, _ in plan]


def typical(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time (a crash, if any run crashed), with the largest peak memory of all the runs."""
    crashed = [r for r in results if "crashed" in r]
    if crashed:
        return crashed[0]
    ordered = sorted(results, key=lambda r: float(r["seconds"]))
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["peak_mb"] = max(float(r["peak_mb"]) for r in results)
    median["all_seconds"] = [round(float(r["seconds"]), 2) for r in results]
    return median


def write_mapping(workdir: Path) -> Path:
    mapping = workdir / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def profile(name: str, args: argparse.Namespace) -> None:
    """Where one import's time goes: its stages (unprofiled run), then cProfile's top entries (another run).

    A directory (the many-files scenarios) is one import too: its stages are summed over its files.
    """
    n, files = input_size(name, args)
    path, copy = prepare(name, n, args.seed, args.workdir, files)
    mapping = write_mapping(args.workdir) if name == "xlsx-mapped" else None
    source = copy if args.profile_reimport else path
    what = "re-import (all duplicates)" if args.profile_reimport else "import into an empty store"

    def fresh_store(label: str) -> Path:
        store: Path = args.workdir / "stores" / f"profile-{name}-{label}"
        shutil.rmtree(store, ignore_errors=True)
        if args.profile_reimport:
            subprocess.run([sys.executable, *child_command(path, store, mapping)], check=True, capture_output=True)
        return store

    command = child_command(source, fresh_store("stages"), mapping, stages=True)
    out = subprocess.run([sys.executable, *command], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    messages = f"{n:,} messages" + (f" in {files:,} files" if name in MANY_FILES else "")
    print(f"## {name}, {messages}, {what}: {result['seconds']:.2f} s, peak RSS {result['peak_mb']:,.0f} MB\n")
    print(stages_table(result))
    stats_file = args.workdir / f"profile-{name}.pstats"
    command = child_command(source, fresh_store("cprofile"), mapping, profile=stats_file)
    out = subprocess.run([sys.executable, *command], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\ncProfile of the import_files call (a separate run: {result['seconds']:.2f} s with profiling on)")
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(str(stats_file), stream=buffer).sort_stats(order).print_stats(args.profile_top)
        listing = buffer.getvalue().splitlines()
        header = next(i for i, line in enumerate(listing) if line.lstrip().startswith("ncalls"))
        print(f"\n### top {args.profile_top} by {order}\n\n```\n" + "\n".join(listing[header:]).rstrip() + "\n```")


def stages_table(result: dict[str, Any]) -> str:
    total = result["seconds"]
    lines = ["| stage | seconds | share |", "|---|---:|---:|"]
    for label, seconds in result.get("stages", []):
        lines.append(f"| {label} | {seconds:.2f} | {seconds / total:.0%} |")
    if result.get("stage_hooks_missing"):
        lines.append(f"\n(not timed: chatlog internals not found: {', '.join(result['stage_hooks_missing'])})")
    return "\n".join(lines)


# --- report --------------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = [
        "| format | import | messages | seconds | messages/s | target/s | speed | peak RSS MB | memory | check |",
        "|---|---|---:|---:|---:|---:|---|---:|---|---|",
        *(row.markdown() for row in rows),
    ]
    repeated = [r for r in rows if len(r.result.get("all_seconds", [])) > 1]
    if repeated:
        lines += ["", "Every run, seconds (the table shows the median):", ""]
        lines += [f"- {r.name}, {r.label}: {', '.join(f'{x:.2f}' for x in r.result['all_seconds'])}" for r in repeated]
    return "\n".join(lines)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("pyarrow", "duckdb", "fastexcel"))
    return (
        f"{cpu or platform.processor()}, {os.cpu_count()} logical cores, {mem_kib / 1024**2:.0f} GiB RAM; "
        f"Python {platform.python_version()}, {versions}"
    )


def revision() -> str:
    def git(*command: str) -> str:
        out = subprocess.run(["git", "-C", str(ROOT), *command], capture_output=True, text=True)
        return out.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    return f"{head}{' + uncommitted changes' if git('status', '--porcelain', '--', 'src') else ''}" if head else "?"


def notes(args: argparse.Namespace) -> list[str]:
    lines = [
        f"Messages/s = messages in the file ÷ wall seconds of `import_files` in a fresh child process set up as "
        f"`chatlog import` sets up its own (malloc keeps freed memory: `chatlog_cli/allocator.py`; Python and "
        f"chatlog start-up excluded; hashing, parsing, de-duplication and Parquet writing included). Peak RSS = "
        f"the child's `ru_maxrss`. Targets: CSV ≥ 500k messages/s, text formats (JD log, Taobao TXT) ≥ 200k "
        f"messages/s, XLSX ≥ 100k rows/s, peak memory < 1.5 GB ({MEMORY_TARGET_MB} MiB) for 1M messages.",
        "The re-import is of a copy with the same messages in other bytes, so that the content-hash short-cut "
        "does not apply and every message is identified and found stored: the JD log with CRLF line ends, the "
        "CSV re-encoded as GB18030 (decoded on the way), the Taobao account TXT as UTF-8 with LF, the "
        "message-manager TXT as GBK with CRLF, each workbook with a zip comment.",
    ]
    if args.repeat > 1:
        lines.append(
            f"Each format was run {args.repeat} times (empty store, then the re-import, the store emptied before "
            f"each round): seconds are the median run's, peak RSS the largest of the {args.repeat}; every run's "
            "seconds are listed below the table. This machine's speed drifts by 20-40% within an hour, so one "
            "run can land in a slow spell."
        )
    if min(args.n, args.xlsx_n) < 1_000_000:
        lines.append("Fewer than 1,000,000 messages: the memory column is not the 1M-message figure the target is for.")
    if args.xlsx_n != args.n:
        lines.append(
            f"The XLSX files have {args.xlsx_n:,} rows (`--xlsx-n`), not {args.n:,}: writing a workbook with "
            "openpyxl is slow (about 100 s per 1M rows, once: inputs are cached)."
        )
    if any(name in MANY_FILES for name in args.formats):
        lines.append(
            f"jd-many: a directory of {args.many_files:,} JD logs, {args.many_n:,} messages in all (about "
            f"{args.many_n // args.many_files:,} per file: the same messages as a {args.many_n:,}-message jd-log, "
            "cut into consecutive conversations), imported as one argument: what each file costs (the store "
            "opened, small queries, a Parquet writer set up, the import log rewritten). No target in the issue "
            f"(speed n/a); files/s in the import column; its peak RSS is for these {args.many_n:,} messages."
        )
    return lines


def record(text_table: str, args: argparse.Namespace, failures: list[str]) -> None:
    command = f"python benchmarks/bench_import.py --n {args.n} --xlsx-n {args.xlsx_n} --seed {args.seed}"
    if any(name in MANY_FILES for name in args.formats):
        command += f" --many-n {args.many_n} --many-files {args.many_files}"
    if args.repeat > 1:
        command += f" --repeat {args.repeat}"
    if list(args.formats) != list(FORMATS):
        command += f" --formats {' '.join(args.formats)}"
    parts = [
        "## Import (`benchmarks/bench_import.py`)",
        "",
        f"Run {dt.date.today():%Y-%m-%d} at revision {revision()} on {machine()}.",
        f"`{command}`.",
        "",
        *notes(args),
        "",
        text_table,
    ]
    if failures:
        parts += ["", "Correctness checks failed:", "", *(f"- {f.splitlines()[0]}" for f in failures)]
    write_doc_section("bench_import", "\n".join(parts))


def write_doc_section(name: str, body: str, doc: Path | None = None, title: str = "# Performance") -> None:
    """Replace (or append) the section between `<!-- name:start -->` and `<!-- name:end -->` in a doc page.

    The page is docs/performance.md unless `doc` names another; a missing page is created with `title`.
    """
    doc = doc or ROOT / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{title}\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")
    print(f"\nwrote {doc.relative_to(ROOT)}", file=sys.stderr)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="messages in the text and CSV files")
    parser.add_argument("--xlsx-n", type=int, default=None, help="rows in each XLSX (default: --n)")
    parser.add_argument("--many-n", type=int, default=100_000, help="messages in all the files of jd-many")
    parser.add_argument(
        "--many-files", type=int, default=200, help="files of jd-many (each: --many-n / --many-files messages)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "chatlog-bench", help="inputs cache and stores"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per format; the table shows the median (default: 1)"
    )
    parser.add_argument("--write-docs", action="store_true", help="record the results in docs/performance.md")
    parser.add_argument("--profile", choices=FORMATS, help="cProfile one import of this format instead")
    parser.add_argument("--profile-reimport", action="store_true", help="profile the all-duplicates re-import")
    parser.add_argument("--profile-top", type=int, default=25, help="profile entries shown")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.xlsx_n is None:
        args.xlsx_n = args.n
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.many_files < 1 or args.many_n // args.many_files < CONVERSATION_MAX:
        parser.error(f"--many-n / --many-files must be at least {CONVERSATION_MAX} (a whole conversation per file)")
    return args


def main() -> None:
    args = parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))
        return
    if args.generate:
        name, n, seed, workdir, files = args.generate
        generate(name, int(n), int(seed), Path(workdir), int(files))
        return
    if args.profile:
        profile(args.profile, args)
        return

    rows: list[Row] = []
    for name in args.formats:
        rows.extend(bench_format(name, args))
    text_table = table(rows)
    print(text_table)
    print("\n" + "\n".join(notes(args)))
    failures = [f"FAIL {r.name} ({r.label}): {p}" for r in rows for p in r.problems]
    for failure in failures:
        print(failure)
    for r in rows:
        if r.result.get("unknown_roles"):
            print(f"note: {r.name} ({r.label}): {r.result['unknown_roles']:,} messages with an unknown sender role")
        if "hwm_mb" in r.result and abs(r.result["hwm_mb"] - r.result["peak_mb"]) > 64:
            print(
                f"note: {r.name} ({r.label}) ru_maxrss {r.result['peak_mb']:.0f} MB, VmHWM {r.result['hwm_mb']:.0f} MB"
            )
    if args.write_docs:
        record(text_table, args, failures)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
