"""Generate the bundled example exports (synthetic, seeded, byte-for-byte reproducible).

    python examples/generate.py            # rewrites examples/exports/

Every name, phone number, address and order number here is invented. The exports cover what chatlog must
handle: JD chat logs (UTF-8 with BOM and CRLF, GB18030, a ZIP of logs, overlapping date ranges), Pinduoduo
CSV (UTF-8 with BOM, GBK, overlapping), and a spreadsheet from a platform chatlog does not know, imported
with a column mapping.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl

OUT = Path(__file__).parent / "exports"
SEED = 2026
FIXED_TIME = dt.datetime(2026, 11, 20, 10, 0, 0)

# Conversation scripts: (buyer lines, agent replies). {order}, {phone}, {addr}, {name} are filled in.
SCRIPTS: list[list[tuple[str, str]]] = [
    [
        ("b", "在吗？这款什么时候发货"),
        ("a", "亲，现货48小时内发货哦"),
        ("b", "好的，谢谢"),
        ("a", "不客气，祝您购物愉快~"),
    ],
    [
        ("b", "我的快递怎么还没到，都五天了"),
        ("a", "亲，帮您查一下物流哦，请稍等"),
        ("a", "查到了，包裹在中转站滞留了\n已经帮您催促快递加急派送"),
        ("b", "麻烦快一点，急用"),
    ],
    [("b", "退款什么时候到账？"), ("a", "亲，退款原路退回，一般1-3个工作日到账"), ("b", "好的")],
    [
        ("b", "衣服尺码偏大还是偏小？我平时穿M"),
        ("a", "亲，这款版型正常，建议您按平时尺码选M哦"),
        ("b", "腰围70cm穿哪个码"),
        ("a", "腰围70建议M码~"),
    ],
    [
        ("b", "收到的杯子是破的，太失望了"),
        ("b", "{image}"),
        ("a", "非常抱歉给您带来不好的体验"),
        ("a", "这边马上给您补发一个新的，破损的不用寄回"),
        ("b", "那还行"),
    ],
    [("b", "优惠券怎么用不了"), ("a", "亲，这张优惠券满99元可用，您的订单金额还差一点哦"), ("b", "哦哦知道了")],
    [("b", "能开发票吗？要公司抬头的"), ("a", "可以的亲，在订单详情页申请电子发票，填写公司抬头和税号即可")],
    [
        ("b", "我要改一下收货地址"),
        ("a", "亲，请提供新的收货信息"),
        ("b", "收货人{name}，电话{phone}，地址{addr}"),
        ("a", "好的，已经帮您修改成功啦"),
    ],
    [
        ("b", "质量太差了，穿一次就开线，我要投诉"),
        ("a", "亲，非常抱歉，您可以申请退货退款，运费我们承担"),
        ("b", "再这样我就给差评，还要打12315"),
        ("a", "理解您的心情，已为您加急处理，请放心"),
    ],
    [("b", "{order_card}"), ("b", "这个订单能一起发吗"), ("a", "可以的亲，已备注合并发货")],
    [("b", "有没有赠品"), ("a", "亲，现在下单送一个收纳袋哦"), ("b", "#E-s25"), ("b", "那我下单了")],
    [
        ("b", "你好"),
        ("a", "您好，请问有什么可以帮您？"),
        ("b", "我想换货，颜色拍错了"),
        ("a", "亲，收到货后在订单里申请换货就可以"),
        ("b", "好的谢谢"),
        ("a", "不客气"),
    ],
    [
        ("b", "东西是假货吧？跟专柜不一样"),
        ("a", "亲，我们是官方授权，支持专柜验货"),
        ("b", "我要找律师，再不处理就曝光你们"),
        ("a", "亲别着急，已为您升级处理，主管会联系您"),
    ],
    [("b", "顺丰能到吗"), ("a", "亲，默认中通，需要顺丰可以补运费差价哦"), ("b", "那算了，中通就行")],
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞"
CITIES = [
    "北京市朝阳区建国路",
    "上海市浦东新区张杨路",
    "广州市天河区体育西路",
    "杭州市西湖区文三路",
    "成都市武侯区人民南路",
    "南京市鼓楼区中山北路",
    "武汉市洪山区珞喻路",
    "西安市雁塔区小寨东路",
]


class Faker:
    """Obviously fake personal data (phone numbers in the 1380000xxxx test range)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + self.rng.choice(["", self.rng.choice(GIVEN)])

    def phone(self) -> str:
        return f"1380000{self.rng.randint(0, 9999):04d}"

    def address(self) -> str:
        street, number = self.rng.choice(CITIES), self.rng.randint(1, 299)
        return f"{street}{number}号{self.rng.randint(1, 30)}栋{self.rng.randint(101, 2505)}室"


def session_times(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choice([8, 9, 10, 10, 11, 13, 14, 15, 16, 19, 20, 21, 21, 22, 23, 0, 1])
    return dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)))


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


# JD chat logs ------------------------------------------------------------------------------------------------

JD_AGENTS = ["山海小铺-小美", "山海小铺-阿杰", "山海小铺-小雨", "山海小铺-大伟", "山海小铺-晓晓"]
JD_ROBOT = "jimi_vender_1000123456"


def jd_buyer(rng: random.Random) -> str:
    pattern = rng.choice(["{a}****{b}", "{d}****{e}", "jd_****{b}"])
    letters = "abcdefghjkmnpqrstuvwxyz"
    return pattern.format(
        a=rng.choice(letters), b="".join(rng.choice(letters) for _ in range(2)),
        d=rng.randint(10, 19), e=rng.randint(10, 99),
    )  # fmt: skip


@dataclass(frozen=True)
class JdSession:
    """One rendered chat-log session, and what the console's session list (会话记录) says about it."""

    day: dt.date
    text: str
    started: dt.datetime
    buyer: str
    agent: str
    transferred_to: str | None
    buyer_messages: int
    agent_messages: int
    ended: dt.datetime


def jd_sessions(rng: random.Random, faker: Faker, start: dt.date, end: dt.date, per_day: int) -> list[JdSession]:
    """Rendered sessions with their day, so overlapping files can share identical text."""
    buyers = [jd_buyer(rng) for _ in range(60)]
    out = []
    for day in days(start, end):
        for _ in range(per_day):
            when = session_times(rng, day)
            started = when
            buyer, agent = rng.choice(buyers), rng.choice(JD_AGENTS)
            first_agent, counts = agent, {"buyer": 0, "agent": 0}
            lines = ["/*****************以下为一通会话************************************/"]

            def say(
                who: str, text: str, lines: list[str] = lines, counts: dict[str, int] = counts, buyer: str = buyer
            ) -> None:
                nonlocal when
                lines.append(f"{who} {when:%Y-%m-%d %H:%M:%S}")
                lines.extend(text.split("\n"))
                counts["buyer" if who == buyer else "agent"] += 1
                when += dt.timedelta(seconds=rng.randint(8, 150))

            script = rng.choice(SCRIPTS)
            for turn, (who, text) in enumerate(script):
                if turn == 1 and rng.random() < 0.3:
                    say(JD_ROBOT, "【此消息为欢迎卡片或富文本模板答案，聊天记录中暂不支持展示】")
                if turn == 2 and rng.random() < 0.08:
                    second = rng.choice([a for a in JD_AGENTS if a != agent])
                    say(agent, f"由 服务助手 转交给 {second}")
                    agent = second
                say(buyer if who == "b" else agent, fill(text, rng, faker, platform="jd"))
            if rng.random() < 0.1:
                say(buyer, f"{buyer} 撤回了一条消息")
            roll = rng.random()
            if roll < 0.85:
                lines.append(f"/*****************会话结束_时间:{when:%Y-%m-%d %H:%M:%S}******************/")
            elif roll < 0.95:
                lines.append(f"/*****************会话结束_时间：{when:%Y-%m-%d %H:%M:%S}******************/")
            transferred = agent if agent != first_agent else None
            out.append(
                JdSession(day, "\n".join(lines), started, buyer, first_agent, transferred,
                          counts["buyer"], counts["agent"], when)
            )  # fmt: skip
    return out


def fill(text: str, rng: random.Random, faker: Faker, platform: str) -> str:
    order = f"{rng.randint(2, 3)}{rng.randint(10**10, 10**11 - 1)}" if platform == "jd" else ""
    return text.format(
        order=order,
        phone=faker.phone(),
        addr=faker.address(),
        name=faker.name(),
        image=f"https://img30.360buyimg.com/n1/jfs/t1/{rng.randint(10**5, 10**6)}/{rng.randint(1, 99)}/abc.jpg",
        order_card=f"您选择了一个订单进行咨询（订单号：{order or rng.randint(10**11, 10**12)}；"
        f"商品编号：{rng.randint(10**11, 10**12)}）",
    )


def write_jd(rng: random.Random, faker: Faker) -> None:
    folder = OUT / "jd"
    folder.mkdir(parents=True, exist_ok=True)
    sessions = jd_sessions(rng, faker, dt.date(2026, 10, 26), dt.date(2026, 11, 5), per_day=8)
    first = [x.text for x in sessions if x.day <= dt.date(2026, 10, 31)]
    second = [x.text for x in sessions if x.day >= dt.date(2026, 10, 30)]  # overlaps 10-30 and 10-31
    (folder / "京东咚咚聊天记录_2026-10-26_10-31.log").write_bytes(
        b"\xef\xbb\xbf" + "\r\n".join([*first, ""]).encode("utf-8")
    )
    (folder / "京东咚咚聊天记录_2026-10-30_11-05.txt").write_bytes("\n".join([*second, ""]).encode("gb18030"))
    later = [x.text for x in jd_sessions(rng, faker, dt.date(2026, 11, 6), dt.date(2026, 11, 8), per_day=7)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, part in enumerate((later[: len(later) // 2], later[len(later) // 2 :]), start=1):
            info = zipfile.ZipInfo(f"聊天记录_{index}.txt", date_time=(2026, 11, 9, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, "\n".join([*part, ""]).encode("utf-8"))
    (folder / "京东聊天记录_2026-11-06_11-08.zip").write_bytes(buffer.getvalue())
    write_jd_session_list(random.Random(SEED + 1), sessions, folder / "京东会话记录_2026-10-26_11-05.xlsx")


JD_SESSION_HEADER = [" 咨询时间", " 顾客", "咨询类型", "客服", "转接后客服", "技能组", "首次响应时间",
                     "新平均响应时间(S)", "会话时长(M)", "客户消息数", "客服消息数", "满意度", "是否解决",
                     "cid"]  # fmt: skip
JD_SATISFACTION = ["非常满意", "非常满意", "满意", "满意", "一般", "不满意", "未评价", "未评价", "未评价"]


def write_jd_session_list(rng: random.Random, sessions: list[JdSession], target: Path) -> None:
    """The console's 会话记录 for the same days: 咨询时间 a few seconds off the first message, buyer aliases
    masked with fewer visible characters on some rows, and a few sessions the chat log does not contain."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "会话记录"
    sheet.append(JD_SESSION_HEADER)
    rows = list(sessions)
    for index in range(6):  # sessions whose chat is missing from the exported logs
        day = dt.date(2026, 10, 26) + dt.timedelta(days=index * 2)
        start = session_times(rng, day)
        rows.append(JdSession(day, "", start, jd_buyer(rng), rng.choice(JD_AGENTS), None, 2, 1, start))
    rows.sort(key=lambda x: x.started)
    for number, session in enumerate(rows, start=880_001):
        head, _, tail = session.buyer.partition("****")
        # Some rows show one visible character fewer (j***b for the log's j****ab).
        buyer = f"{head}***{tail[1:]}" if tail[1:] and rng.random() < 0.3 else session.buyer
        sheet.append(
            [
                (session.started + dt.timedelta(seconds=rng.randint(0, 40))).strftime("%Y-%m-%d %H:%M:%S"),
                buyer,
                rng.choice(["售前", "售前", "售后", "物流"]),
                session.agent,
                session.transferred_to or "",
                "售后服务组" if rng.random() < 0.4 else "售前咨询组",
                str(rng.randint(3, 90)),
                str(rng.randint(10, 80)),
                f"{(session.ended - session.started).total_seconds() / 60:.1f}",
                str(session.buyer_messages),
                str(session.agent_messages),
                rng.choice(JD_SATISFACTION),
                rng.choice(["已解决", "已解决", "未解决", ""]),
                str(number),
            ]
        )
    save_workbook(workbook, target)


# Pinduoduo CSV -----------------------------------------------------------------------------------------------

PDD_HEADER = ["会话ID", "买家ID", "买家昵称", "客服账号", "发送方", "消息类型", "消息内容", "发送时间", "订单编号"]
PDD_AGENTS = ["拼小喵-阿花", "拼小喵-阿强", "拼小喵-小桃", "拼小喵-豆豆"]


def pdd_rows(rng: random.Random, faker: Faker, start: dt.date, end: dt.date, per_day: int) -> list[list[str]]:
    buyers = [
        (str(rng.randint(10**9, 10**12)), rng.choice("小大老阿") + "**" + rng.choice("猫狗兔王花")) for _ in range(60)
    ]
    rows = []
    for day in days(start, end):
        for n in range(per_day):
            when = session_times(rng, day)
            buyer_id, nick = rng.choice(buyers)
            agent = rng.choice(PDD_AGENTS)
            session = f"{day:%y%m%d}{n:03d}{rng.randint(1000, 9999)}"
            order = f"{day:%y%m%d}-{rng.randint(10**14, 10**15 - 1)}"

            def add(
                role: str,
                kind: str,
                text: str,
                order_id: str = "",
                head: tuple[str, ...] = (session, buyer_id, nick, agent),
            ) -> None:
                nonlocal when
                rows.append([*head, role, kind, text, f"{when:%Y-%m-%d %H:%M:%S}", order_id])
                when += dt.timedelta(seconds=rng.randint(5, 120))

            if rng.random() < 0.4:
                add("机器人", "文本", "您好，欢迎光临拼小喵旗舰店，有什么可以帮您？")
            for who, text in rng.choice(SCRIPTS):
                if text == "{image}":
                    add("买家", "图片", f"https://img.pddpic.com/mms-material-img/{rng.randint(10**6, 10**7)}.jpeg")
                elif text == "{order_card}":
                    add("买家", "订单卡片", f"订单编号：{order}", order)
                else:
                    text = fill(text, rng, faker, platform="pdd").replace("#E-s25", "[表情]")
                    add("买家" if who == "b" else "客服", "文本", text, order if rng.random() < 0.1 else "")
            if rng.random() < 0.2:
                add("系统", "系统消息", "买家已确认收货")
    rows[3][6] = '收到了，"包装"很好,\n下次还来'  # quotes, a comma and a newline in one cell
    return rows


def write_pdd(rng: random.Random, faker: Faker) -> None:
    folder = OUT / "pinduoduo"
    folder.mkdir(parents=True, exist_ok=True)
    rows = pdd_rows(rng, faker, dt.date(2026, 11, 1), dt.date(2026, 11, 10), per_day=6)
    first = [r for r in rows if r[7][:10] <= "2026-11-07"]
    second = [r for r in rows if r[7][:10] >= "2026-11-05"]

    def csv_text(data: list[list[str]], newline: str) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline).writerows([PDD_HEADER, *data])
        return buffer.getvalue()

    (folder / "拼多多聊天记录_2026-11-01_11-07.csv").write_bytes(
        b"\xef\xbb\xbf" + csv_text(first, "\r\n").encode("utf-8")
    )
    (folder / "拼多多聊天记录_2026-11-05_11-10_gbk.csv").write_bytes(csv_text(second, "\n").encode("gbk"))


# A platform chatlog does not know: spreadsheet + mapping ------------------------------------------------------

DOUYIN_AGENTS = ["花间集-小雨", "花间集-小风"]


def write_custom(rng: random.Random, faker: Faker) -> None:
    folder = OUT / "custom"
    folder.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "聊天明细"
    sheet.append(["抖店客服聊天记录导出"])
    sheet.merge_cells("A1:I1")
    sheet.append([f"导出时间：{FIXED_TIME:%Y-%m-%d %H:%M:%S}"])
    sheet.append(["序号", "会话编号", "顾客昵称", "接待客服", "发送人", "身份", "时间", "内容", "订单号"])
    number = 0
    for index in range(40):
        day = dt.date(2026, 11, 1) + dt.timedelta(days=index % 20)
        when = session_times(rng, day)
        buyer = rng.choice("花木云月") + "**" + rng.choice("子儿") * rng.randint(0, 1)
        agent = rng.choice(DOUYIN_AGENTS)
        order = str(rng.randint(6 * 10**18, 7 * 10**18 - 1))
        for who, text in rng.choice(SCRIPTS):
            number += 1
            if rng.random() < 0.15 and number > 1 and who == "a":
                sender, role = "小助手机器人", "机器人"
            else:
                sender, role = (buyer, "顾客") if who == "b" else (agent, "客服")
            content = fill(text, rng, faker, platform="douyin").replace("#E-s25", "[表情]")
            if text in ("{image}", "{order_card}"):
                content = "[图片]" if text == "{image}" else f"[订单卡片] 订单号：{order}"
            sheet.append([
                number, f"DY{index:04d}", buyer, agent, sender, role,
                f"{when.year}/{when.month}/{when.day} {when.hour}:{when.minute:02d}",  # text, no zero padding
                content, order if text == "{order_card}" else None,
            ])  # fmt: skip
            when += dt.timedelta(minutes=rng.randint(0, 3))
    save_workbook(workbook, folder / "客服聊天明细_2026-11.xlsx")


# Youzan: a session-detail export with the shop's chosen subset of columns ----------------------------------

YOUZAN_AGENTS = ["有赞小店-安安", "有赞小店-乐乐", "有赞小店-可可"]


def write_youzan(rng: random.Random, faker: Faker) -> None:
    folder = OUT / "youzan"
    folder.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "会话明细"
    sheet.append(["会话ID", "客户昵称", "接待客服", "发送方", "消息内容", "消息时间", "会话来源", "结束方式"])
    for index in range(30):
        day = dt.date(2026, 11, 1) + dt.timedelta(days=index % 15)
        when = session_times(rng, day)
        session = f"YZ{day:%Y%m%d}{index:03d}"
        buyer = rng.choice("木小大阿") + "**" + rng.choice("鱼子儿")
        agent = rng.choice(YOUZAN_AGENTS)
        source, ending = (
            rng.choice(["微信公众号", "小程序", "H5商城"]),
            rng.choice(["客服结束", "超时结束", "客户结束"]),
        )
        for who, text in rng.choice(SCRIPTS):
            if text in ("{image}", "{order_card}"):
                continue
            content = fill(text, rng, faker, platform="youzan").replace("#E-s25", "[表情]")
            sheet.append([session, buyer, agent, "客户" if who == "b" else "客服", content,
                          f"{when:%Y-%m-%d %H:%M:%S}", source, ending])  # fmt: skip
            when += dt.timedelta(seconds=rng.randint(10, 200))
    save_workbook(workbook, folder / "有赞历史会话_2026-11.xlsx")


# Taobao / Tmall: the console spreadsheet, one sheet per buyer plus a summary sheet --------------------------

TAOBAO_PLACEHOLDER = "请在客户端查看原始聊天记录，网页版无法展示"
TAOBAO_AGENTS = ["云裳旗舰店:小美", "云裳旗舰店:阿杰", "云裳旗舰店:晓晓"]


def write_taobao(rng: random.Random, faker: Faker) -> None:
    folder = OUT / "taobao"
    folder.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "导出汇总"
    summary.append(["导出时间", f"{FIXED_TIME:%Y-%m-%d %H:%M:%S}"])
    buyers = [f"tb{rng.randint(10**8, 10**9)}" for _ in range(12)]
    summary.append(["买家数", len(buyers)])
    for buyer in buyers:
        sheet = workbook.create_sheet(buyer)
        sheet.append(["客户名", "消息序号", "发送时间", "发送内容", "发送账号", "账号类型", "会话ID", "订单号"])
        number = 0
        for _ in range(rng.randint(1, 3)):
            when = session_times(rng, dt.date(2026, 11, 1) + dt.timedelta(days=rng.randint(0, 18)))
            session, agent = f"TB{rng.randint(10**9, 10**10)}", rng.choice(TAOBAO_AGENTS)
            order = str(rng.randint(10**18, 4 * 10**18))
            for who, text in rng.choice(SCRIPTS):
                number += 1
                if text == "{image}":
                    content = TAOBAO_PLACEHOLDER
                elif text == "{order_card}":
                    content = f"您选择了一个订单进行咨询（订单号：{order}；商品编号：{rng.randint(10**11, 10**12)}）"
                else:
                    content = fill(text, rng, faker, platform="taobao").replace("#E-s25", "/:^_^")
                sender, kind = (f"cntaobao{buyer}", "客户") if who == "b" else (agent, "客服")
                row = [f"cntaobao{buyer}", number, f"{when:%Y-%m-%d %H:%M:%S}", content, sender, kind, session]
                sheet.append([*row, order if text == "{order_card}" else None])
                when += dt.timedelta(seconds=rng.randint(10, 240))
    save_workbook(workbook, folder / "千牛聊天记录_2026-11.xlsx")
    write_taobao_txt(rng, faker, folder)
    write_taobao_conversations(rng, faker, folder)


def taobao_text(text: str, rng: random.Random, faker: Faker) -> str:
    """A script line as Taobao's text exports show it: pictures and order cards become the web placeholder."""
    if text in ("{image}", "{order_card}"):
        text = TAOBAO_PLACEHOLDER
    return fill(text, rng, faker, platform="taobao").replace("#E-s25", "/:^_^")


def write_taobao_txt(rng: random.Random, faker: Faker, folder: Path) -> None:
    """The legacy per-account TXT (GBK): 单聊 buyer blocks, a nick with parentheses, a skipped 群聊 section."""
    account = "云裳旗舰店:小美"
    lines = [account, "=" * 64, " " * 30 + "单聊", "=" * 64]
    for buyer in [*(f"cntaobaotb{rng.randint(10**8, 10**9)}" for _ in range(8)), "小(可爱)**"]:
        lines.append("-" * 28 + buyer + "-" * 28)
        when = session_times(rng, dt.date(2026, 11, 21) + dt.timedelta(days=rng.randint(0, 4)))
        for who, text in rng.choice(SCRIPTS):
            sender = buyer if who == "b" else rng.choice([account, "云裳旗舰店", "云裳旗舰店:阿杰"])
            body = taobao_text(text, rng, faker).split("\n")
            lines.append(f"{sender}({when:%Y-%m-%d %H:%M:%S}):  {body[0]}")
            lines.extend(body[1:])
            when += dt.timedelta(seconds=rng.randint(10, 240))
        lines.append("")
    lines += ["=" * 64, " " * 30 + "群聊", "=" * 64, "云裳旗舰店客服群(2026-11-22 09:00:00):  今天上新，大家辛苦了"]
    (folder / "千牛聊天记录_云裳旗舰店_小美.txt").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def write_taobao_im(rng: random.Random, faker: Faker, folder: Path) -> None:
    """Message-manager exports (即时消息): one contact's history per file, a date line per day, UTF-8."""
    for buyer in ("tb2233445566", "暖暖的小**"):
        lines = ["即时消息", ""]
        for day in sorted(dt.date(2026, 11, 18) + dt.timedelta(days=d) for d in rng.sample(range(5), 2)):
            lines.append(f"{day:%Y-%m-%d}")
            when = session_times(rng, day)
            for who, text in rng.choice(SCRIPTS):
                sender = ("cntaobao" + buyer) if who == "b" else rng.choice(["云裳旗舰店:小美", "云裳旗舰店:阿杰"])
                body = taobao_text(text, rng, faker)
                lines.append(f"{when:%Y-%m-%d %H:%M:%S} {sender}: {body}")
                when += dt.timedelta(seconds=rng.randint(10, 240))
            lines.append("")
        (folder / f"消息记录_{buyer.replace('*', '')}.txt").write_text("\n".join(lines), encoding="utf-8")


def write_taobao_conversations(rng: random.Random, faker: Faker, folder: Path) -> None:
    """One row per buyer, the whole conversation in one cell (time, content, then sender), page chrome leaked in."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "聊天记录"
    sheet.append(["聊天记录查询"])
    sheet.append(["查询结果"])
    sheet.append(["买家", "日期", "聊天记录"])
    for index in range(10):
        buyer = f"tb{rng.randint(10**8, 10**9)}" if index != 3 else "花开2025(杭州)"
        day = dt.date(2026, 11, 26) + dt.timedelta(days=index % 4)
        # One conversation starts just before midnight, so its cell has a second date line.
        when = dt.datetime.combine(day, dt.time(23, 58, 0)) if index == 5 else session_times(rng, day)
        agent = rng.choice(TAOBAO_AGENTS)
        lines = ["客户昵称", "员工账号", "账号信息保护显示"] if index == 0 else []
        lines.append(f"{when:%Y-%m-%d}")
        shown = when.date()
        for who, text in rng.choice(SCRIPTS):
            if when.date() != shown:
                lines.append(f"{when:%Y-%m-%d}")
                shown = when.date()
            if text == "{image}":
                content = TAOBAO_PLACEHOLDER
            elif text == "{order_card}":
                order, product = rng.randint(10**18, 4 * 10**18), rng.randint(10**11, 10**12)
                content = f"您选择了一个订单进行咨询（订单号：{order}；商品编号：{product}）"
            else:
                content = fill(text, rng, faker, platform="taobao").replace("#E-s25", "/:^_^")
            lines += [f"{when:%H:%M:%S}", *content.split("\n"), f"cntaobao{buyer}" if who == "b" else agent]
            when += dt.timedelta(seconds=rng.randint(10, 240))
        lines.append("没有更多内容了")
        sheet.append([f"cntaobao{buyer}", f"{day:%Y-%m-%d}", "\n".join(lines)])
    save_workbook(workbook, folder / "千牛聊天记录_按买家_2026-11.xlsx")


def save_workbook(workbook: openpyxl.Workbook, target: Path) -> None:
    """Save with fixed document properties and ZIP entry times, so the bytes are reproducible."""
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "chatlog examples"
    workbook.save(target)
    _normalize_zip_times(target)


def _normalize_zip_times(path: Path) -> None:
    """openpyxl stamps ZIP entries with the current time: rewrite them with a fixed one (reproducible bytes)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":  # openpyxl writes the save time into dcterms:modified
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-11-20T10:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 20, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def main() -> None:
    """Regenerate every example export."""
    rng = random.Random(SEED)
    faker = Faker(rng)
    write_jd(rng, faker)
    write_pdd(rng, faker)
    write_custom(rng, faker)
    write_youzan(rng, faker)
    write_taobao(rng, faker)
    write_taobao_im(random.Random(SEED + 2), faker, OUT / "taobao")


if __name__ == "__main__":
    main()
