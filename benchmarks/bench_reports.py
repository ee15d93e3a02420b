"""Reports benchmark: `chatlog report …` end to end over a realistic 1M-message store (weekly report ≤ 30 s).

    python benchmarks/bench_reports.py                      # 1,000,000 messages; store built once, then cached
    python benchmarks/bench_reports.py --n 20000            # a quick check of the harness (~1 min)
    python benchmarks/bench_reports.py --store-only         # build (or reuse) the store and profile it, no reports
    python benchmarks/bench_reports.py --week 2026-W48 --repeat 3
    python benchmarks/bench_reports.py --write-docs         # also record the results in docs/performance.md

The store (cached under --work, keyed by N, the seed and GENERATOR_VERSION; --rebuild forces a new one):
three Pinduoduo shops (a clothing shop and an electronics shop with a robot, a small snack shop without one),
20 agents on early (08–17) and late (15–24) shifts with a day off a week and their own reply speed, over the
three ISO weeks 2026-W46..W48 in China time (W46 holds 双十一: Nov 10–12 are the busiest days). Conversations
start on a day × hour-of-day profile (evening peak, quiet nights) and are shaped first (so that N is exact):
a buyer burst (sometimes led by a product or order card), a robot answering first in a quarter of them,
5 % unanswered, then 1–31 exchanges (a buyer burst, an agent burst after a reply delay: mostly seconds to a
minute, some minutes, a few 20–90 min; at night the first human reply waits for the morning shift), 6 %
transferred to another agent (a 转接 system line); the buyer closes with 好的/谢谢 in 40 % of the answered ones,
a 会话已结束 line ends 12 %. Buyers and agents otherwise say what `redaction_corpus.message_mix` says (the
redaction, tagging and sentiment benchmarks' realistic mix).
The store is built the way a shop owner builds it: one CSV export per shop (the Pinduoduo format: it carries
conversation ids and roles, so import needs no session split or role inference), `chatlog import --shop`,
then `chatlog tag` and `chatlog sentiment`. Each of those is timed (wall time and peak RSS of the command),
recorded in the cache's build.json and reported with the results; then `chatlog info` and a few
`chatlog sql` queries profile what was built (roles, first-response times, conversations per week, agents).

Measured: each report command in a fresh process (`python -m chatlog_cli report …`, start-up included, what a
user waits for), best of --repeat wall time and the child's peak RSS (`os.wait4`: ru_maxrss of that child;
this parent stays small, never loading chatlog or the data, so a child's figure is its own). Weekly report for
--week to .xlsx, .html, .json and .md; frequency, agents, hourly (--since/--until the same week,
--format json) and the agents × days pivot of conversations. Every output is checked (the file exists and
parses as its format; JSON output parses). Target: the weekly report (each format) and frequency ≤ 30 s;
a missed target or a failed check prints FAIL and the exit status is 1. When `chatlog report` does not exist
in the tree being run, the reports are NOT MEASURED and the exit status is 1 (use --store-only for the store).

Run with the tree under test on PYTHONPATH (e.g. `PYTHONPATH=src python benchmarks/bench_reports.py`):
every chatlog command runs as `python -m chatlog_cli` with this interpreter and environment.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Final, TextIO

ROOT: Final = Path(__file__).resolve().parent.parent
BENCH_DIR: Final = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import bench_import  # noqa: E402  (stdlib only at import: revision, write_doc_section)

GENERATOR_VERSION: Final = 2  # bump when the generated store changes: cached stores are then rebuilt
TARGET_SECONDS: Final = 30.0
DEFAULT_WEEK: Final = "2026-W47"
PERIOD_START: Final = dt.datetime(2026, 11, 9)  # Monday of 2026-W46, China time (naive = Asia/Shanghai)
PERIOD_DAYS: Final = 21  # 2026-W46 .. 2026-W48
DAY: Final = 86_400
HOUR: Final = 3_600
CHINA_OFFSET_MS: Final = 8 * HOUR * 1000

# --- the store's shape -----------------------------------------------------------------------------------------

# Conversations per day (W46: 双十一 on Wednesday Nov 11, the eve and the after-sales day busy too; W47: the
# delivery wave after it; weekends a little quieter).
DAY_WEIGHTS: Final = (
    *(1.3, 1.9, 2.6, 1.7, 1.3, 1.0, 1.0),  # W46
    *(1.25, 1.2, 1.1, 1.0, 1.0, 0.9, 0.95),  # W47
    *(1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.9),  # W48
)
# Conversation starts per hour of the day (China time): quiet nights, a morning and an evening peak.
HOUR_WEIGHTS: Final = (
    3.0, 1.6, 0.9, 0.5, 0.4, 0.5, 1.0, 2.0, 3.5, 5.5, 6.5, 6.0,
    5.0, 5.5, 6.0, 6.0, 5.5, 5.0, 4.5, 5.5, 6.5, 7.0, 6.0, 4.5,
)  # fmt: skip
PEAK_HOURS: Final = frozenset((10, 11, 14, 15, 20, 21, 22))
EARLY: Final = (8, 17)  # shift hours [start, end), China time
LATE: Final = (15, 24)
SHIFT_STARTS: Final = (EARLY[0], LATE[0])
SHIFT_GRACE: Final = 1_800  # an agent finishes a conversation up to 30 min after the shift ends


@dataclass(frozen=True, slots=True)
class ShopSpec:
    """One shop: its own CSV export, agents and (maybe) a robot."""

    key: str
    name: str
    short: str
    weight: float
    agents: tuple[str, ...]
    robot: str | None


SHOPS: Final = (
    ShopSpec(
        key="yunshang",
        name="云裳女装旗舰店",
        short="云裳",
        weight=0.45,
        agents=("小美", "小雪", "阿杰", "小七", "甜甜", "小鱼", "大壮", "橙子"),
        robot="云裳-智能客服",
    ),
    ShopSpec(
        key="lanjing",
        name="蓝鲸数码专营店",
        short="蓝鲸",
        weight=0.35,
        agents=("小婷", "阿宝", "小月", "木木", "可可", "小安", "乐乐"),
        robot="蓝鲸-机器人",
    ),
    ShopSpec(
        key="mili",
        name="小米粒零食铺",
        short="米粒",
        weight=0.20,
        agents=("小北", "西西", "小南", "糖糖", "晴天"),
        robot=None,  # a small shop without a robot: night messages wait for the morning
    ),
)
ROBOT_LINES: Final = (
    "您好，我是智能客服，请问有什么可以帮您？",
    "亲，请问您想咨询哪款商品呢？可以直接发送商品链接哦",
    "亲，人工客服正在赶来的路上，请稍等~",
    "亲，您可以点击下方【查看物流】查询包裹进度哦",
)
ROBOT_NIGHT_LINE: Final = "亲，现在是非工作时间，人工客服在线时间为08:00-24:00，您可以先留言，上班后第一时间回复您"
CLOSERS: Final = ("好的谢谢", "好的", "谢谢", "收到", "好的亲", "嗯嗯", "明白了", "好的，辛苦了", "谢谢亲[微笑]", "OK")
END_LINES: Final = ("会话已结束", "买家已确认收货", "客服已结束会话")
PDD_HEADER: Final = [
    "会话ID",
    "买家ID",
    "买家昵称",
    "客服账号",
    "发送人",
    "发送方",
    "消息类型",
    "消息内容",
    "发送时间",
    "订单编号",
]
NICK_CHARS: Final = "小大阿老猫狗鱼兔熊鹿星月云风花草叶雪糖果甜豆米乐安宝贝可爱快乐开心芒柚橙桃"


@dataclass(frozen=True, slots=True)
class Agent:
    """A human agent: account, shift, weekly day off and reply speed (a factor on every reply delay)."""

    account: str
    name: str
    shift: tuple[int, int]
    day_off: int  # 0 = Monday (PERIOD_START is a Monday)
    speed: float

    def on_duty(self, t: float, grace: float = 0.0) -> bool:
        """Working at t (seconds since PERIOD_START, China time), or at most `grace` seconds after the shift."""
        day, second = divmod(t, DAY)
        if int(day) % 7 == self.day_off:
            return False
        return self.shift[0] * HOUR <= second < self.shift[1] * HOUR + grace


def make_agents(seed: int) -> list[list[Agent]]:
    """Each shop's agents: alternate early/late shifts, days off spread so every shift is covered every day."""
    rng = random.Random(f"agents:{seed}")
    return [
        [
            Agent(
                f"{shop.short}-{name}",
                name,
                EARLY if i % 2 == 0 else LATE,
                (i * 3 + s * 2) % 7,
                round(rng.lognormvariate(0.0, 0.35), 2),
            )
            for i, name in enumerate(shop.agents)
        ]
        for s, shop in enumerate(SHOPS)
    ]


def geometric(rng: random.Random, p: float) -> int:
    """0, 1, 2 … with P(k) = (1-p)^k p."""
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


def conversation_shape(rng: random.Random, has_robot: bool) -> str:
    """A conversation's messages in order: b buyer, p/o buyer's product/order card, c buyer's closing thanks,
    r robot, a agent, t transfer, e end (a system line).

    Decided before any time is drawn so that the store has exactly N messages.
    """
    parts: list[str] = []
    card = rng.random()
    if card < 0.12:
        parts.append("p")
    elif card < 0.18:
        parts.append("o")
    parts.append("b" * rng.choices((1, 2, 3, 4, 5), (50, 27, 13, 6, 4))[0])
    if has_robot and rng.random() < 0.33:  # the robot answers first (a quarter of all conversations)
        parts.append("r" if rng.random() < 0.7 else "rr")
        if rng.random() < 0.6:  # the buyer asks again, or asks for a human
            parts.append("b" * rng.choices((1, 2, 3), (60, 30, 10))[0])
    if rng.random() < 0.05:  # nobody ever answers
        if rng.random() < 0.4:
            parts.append("b")
        return "".join(parts)
    exchanges = 1 + min(30, geometric(rng, 0.42 if rng.random() < 0.8 else 0.12))
    transfer = rng.randrange(exchanges) if rng.random() < 0.06 else -1
    for i in range(exchanges):
        if i:
            parts.append("b" * rng.choices((1, 2, 3, 4, 5), (50, 27, 13, 6, 4))[0])
        if i == transfer:
            parts.append("t")
        parts.append("a" * rng.choices((1, 2, 3), (58, 31, 11))[0])
    if rng.random() < 0.4:
        parts.append("c")  # 好的/谢谢: the buyer has the last word
    if rng.random() < 0.12:
        parts.append("e")
    return "".join(parts)


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def reply_delay(rng: random.Random, agent: Agent, t: float) -> float:
    """Seconds from the buyer's last message to the agent's reply, when the agent is at work."""
    roll = rng.random()
    if roll < 0.66:
        delay = lognormal(rng, 14, 0.7)  # a few seconds to a minute
    elif roll < 0.935:
        delay = lognormal(rng, 70, 0.6)  # a minute or a few
    elif roll < 0.985:
        delay = rng.uniform(300, 1_200)  # slow: 5-20 min
    else:
        delay = rng.uniform(1_200, 5_400)  # very slow: 20-90 min
    day = min(int(t // DAY), PERIOD_DAYS - 1)
    busy = DAY_WEIGHTS[day] ** 0.8 * (1.3 if int(t % DAY // HOUR) in PEAK_HOURS else 1.0)
    return max(3.0, delay * agent.speed * busy)


def buyer_think(rng: random.Random) -> float:
    """Seconds before the buyer answers an agent."""
    roll = rng.random()
    if roll < 0.65:
        return lognormal(rng, 25, 0.9)
    if roll < 0.93:
        return lognormal(rng, 240, 0.8)
    return rng.uniform(1_200, 4 * HOUR)  # comes back later


def available(rng: random.Random, agents: Sequence[Agent], t: float) -> tuple[Agent, float]:
    """An agent on duty at t, else one of those starting the next shift, and when they can start."""
    on = [a for a in agents if a.on_duty(t)]
    if on:
        return rng.choice(on), t
    day = int(t // DAY)
    for d in range(day, day + 4):
        for hour in SHIFT_STARTS:
            start = d * DAY + hour * HOUR
            if start > t:
                on = [a for a in agents if a.on_duty(start)]
                if on:
                    return rng.choice(on), start + rng.uniform(0, 900)  # logging in, the queue
    raise AssertionError("no shift covers this shop")  # make_agents spreads days off so this cannot happen


class Texts:
    """Buyer and agent lines from `redaction_corpus.message_mix`, in its order, one queue per role."""

    def __init__(self, seed: int) -> None:
        import redaction_corpus

        self._mix = redaction_corpus.message_mix(10**12, seed)  # lazy: only what is used is generated
        self._queues: dict[str, deque[str]] = {"buyer": deque(), "agent": deque()}

    def next(self, role: str) -> str:
        queue = self._queues[role]
        while not queue:
            message = next(self._mix)
            other = self._queues.get(message.role)
            if other is not None and len(other) < 50_000:
                other.append(message.content)
        return queue.popleft()


@dataclass(slots=True)
class GenerationStats:
    """What the generator put in the files: checked against the store after import."""

    messages: int = 0
    conversations: int = 0
    roles: Counter[str] = field(default_factory=Counter)
    per_shop: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    robot_first: int = 0
    transfers: int = 0
    reassigned: int = 0
    waited_for_shift: int = 0


def format_times(day_strings: list[str], t: float) -> str:
    day, second = divmod(int(t), DAY)
    hour, rest = divmod(second, HOUR)
    return f"{day_strings[day]} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}"


def generate(n: int, seed: int, out_dir: Path) -> dict[str, Any]:
    """Write one Pinduoduo CSV per shop with n messages in all; return the generator's own counts."""
    rng = random.Random(f"bench-reports:{GENERATOR_VERSION}:{seed}")
    agents = make_agents(seed)
    shop_weights = [s.weight for s in SHOPS]
    # 1. Shapes until there are n messages (the last one cut short).
    shapes: list[tuple[int, str]] = []
    total = 0
    while total < n:
        shop = rng.choices(range(len(SHOPS)), shop_weights)[0]
        shape = conversation_shape(rng, SHOPS[shop].robot is not None)[: n - total]
        shapes.append((shop, shape))
        total += len(shape)
    # 2. Start times on the day × hour profile, in order.
    day_cum = list(itertools.accumulate(DAY_WEIGHTS))
    hour_cum = list(itertools.accumulate(HOUR_WEIGHTS))
    starts = sorted(
        bisect.bisect(day_cum, rng.random() * day_cum[-1]) * DAY
        + bisect.bisect(hour_cum, rng.random() * hour_cum[-1]) * HOUR
        + rng.random() * HOUR
        for _ in shapes
    )
    day_strings = [f"{PERIOD_START + dt.timedelta(days=d):%Y-%m-%d}" for d in range(PERIOD_DAYS + 30)]
    buyers = [
        (str(rng.randrange(10**9, 10**10)), f"{rng.choice(NICK_CHARS)}**{rng.choice(NICK_CHARS)}")
        for _ in range(max(1, len(shapes) * 3 // 4))  # a quarter of conversations are a returning buyer's
    ]
    goods = [[rng.randrange(10**8, 10**10) for _ in range(40)] for _ in SHOPS]
    texts = Texts(seed)
    stats = GenerationStats()
    out_dir.mkdir(parents=True, exist_ok=True)
    handles: list[TextIO] = [
        (out_dir / f"pdd-{s.key}.csv.tmp").open("w", encoding="utf-8-sig", newline="") for s in SHOPS
    ]
    try:
        writers = [csv.writer(h) for h in handles]
        for w in writers:
            w.writerow(PDD_HEADER)
        for number, ((shop, shape), start) in enumerate(zip(shapes, starts, strict=True)):
            rows = conversation_rows(rng, number, shop, shape, start, agents[shop], buyers, goods[shop], texts, stats)
            for row in rows:
                row[8] = format_times(day_strings, float(row[8]))
            writers[shop].writerows(rows)
    finally:
        for h in handles:
            h.close()
    for s in SHOPS:
        (out_dir / f"pdd-{s.key}.csv.tmp").replace(out_dir / f"pdd-{s.key}.csv")
    stats.conversations = len(shapes)
    return {
        "messages": stats.messages,
        "conversations": stats.conversations,
        "roles": dict(stats.roles),
        "per_shop": dict(stats.per_shop),
        "unanswered": stats.unanswered,
        "robot_first": stats.robot_first,
        "transfers": stats.transfers,
        "reassigned": stats.reassigned,
        "waited_for_shift": stats.waited_for_shift,
        "agents": sum(len(a) for a in agents),
        "files": {s.key: (out_dir / f"pdd-{s.key}.csv").stat().st_size for s in SHOPS},
    }


ROLE_WORDS: Final = {
    "b": "买家",
    "p": "买家",
    "o": "买家",
    "c": "买家",
    "a": "客服",
    "r": "机器人",
    "t": "系统",
    "e": "系统",
}


def conversation_rows(  # noqa: C901  (one branch per kind of message: clearer in one place)
    rng: random.Random,
    number: int,
    shop: int,
    shape: str,
    start: float,
    agents: Sequence[Agent],
    buyers: Sequence[tuple[str, str]],
    goods: Sequence[int],
    texts: Texts,
    stats: GenerationStats,
) -> list[list[Any]]:
    """One conversation's CSV rows (the time column still in seconds since PERIOD_START)."""
    spec = SHOPS[shop]
    buyer_id, nick = buyers[rng.randrange(len(buyers))]
    conversation_id = f"{int(start // DAY) + 9:02d}{shop}{number:08d}"
    order_id = ""
    if "o" in shape or rng.random() < 0.3:
        ordered = PERIOD_START + dt.timedelta(seconds=start - rng.uniform(0, 10 * DAY))
        order_id = f"{ordered:%y%m%d}-{rng.randrange(10**14, 10**15)}"
    agent, ready = available(rng, agents, start)
    if ready > start + HOUR:
        stats.waited_for_shift += 1
    rows: list[list[Any]] = []
    t, previous, answered = start, "", False
    for kind in shape:
        sender, msg_type, content, account = nick, "文本", "", agent.account
        if kind in "bpoc":
            if previous in ("", "b", "p", "o"):
                t += lognormal(rng, 6, 0.7) + 2 if previous else 0.0
            elif previous == "r":
                t += rng.uniform(5, 40)
            else:
                t += buyer_think(rng)
            if kind == "p":
                msg_type, content = "商品卡片", f"https://mobile.yangkeduo.com/goods.html?goods_id={rng.choice(goods)}"
            elif kind == "o":
                msg_type, content = "订单卡片", f"[订单卡片] 订单编号：{order_id}"
            elif kind == "c":
                content = rng.choice(CLOSERS)
            else:
                content = texts.next("buyer")
        elif kind == "r":
            t += rng.uniform(1, 3) if previous != "r" else rng.uniform(1, 5)
            sender, account = spec.robot or "", ""
            content = rng.choice(ROBOT_LINES) if any(a.on_duty(t) for a in agents) else ROBOT_NIGHT_LINE
            if not answered and previous != "r":
                stats.robot_first += 1
                answered = True
        elif kind == "a":
            if previous == "a":
                t += lognormal(rng, 12, 0.6)  # typing the next line
            else:
                if rows and not agent.on_duty(t, SHIFT_GRACE) and t > ready:  # shift over: someone else takes it
                    agent, ready = available(rng, agents, t)
                    stats.reassigned += 1
                t = max(t, ready) + reply_delay(rng, agent, max(t, ready))
            sender, account = agent.account, agent.account
            content = texts.next("agent")
            answered = True
        elif kind == "t":
            t += rng.uniform(20, 120)
            others = [a for a in agents if a is not agent and a.on_duty(t)]
            agent, ready = (
                (rng.choice(others), t) if others else available(rng, [a for a in agents if a is not agent], t)
            )
            sender, account, msg_type = "", agent.account, "转接"
            content = f"会话已转接给客服{agent.name}"
            stats.transfers += 1
        else:  # "e"
            t += rng.uniform(30, 600)
            sender, msg_type, content = "", "系统消息", rng.choice(END_LINES)
        if msg_type == "文本" and content.startswith("https://") and content.endswith(".jpg"):
            msg_type = "图片"
        role = ROLE_WORDS[kind]
        rows.append([conversation_id, buyer_id, nick, account, sender, role, msg_type, content, t, order_id])
        stats.roles[role] += 1
        previous = kind
    if "a" not in shape:
        stats.unanswered += 1
    stats.messages += len(rows)
    stats.per_shop[spec.key] += len(rows)
    return rows


# --- running commands --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """One child process: wall seconds, peak RSS (MiB), exit status and where its output went."""

    seconds: float
    rss_mb: float
    status: int
    stdout: Path
    stderr: Path


def run_measured(argv: Sequence[str], logs: Path, label: str) -> Run:
    """Run a command, timing it and reading its own rusage with wait4 (stdout/stderr to files under `logs`)."""
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / f"{label}.out", logs / f"{label}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out_path, err_path)


def chatlog(*args: str) -> list[str]:
    return [sys.executable, "-m", "chatlog_cli", *args]


def checked(run: Run, what: str) -> Run:
    if run.status != 0:
        tail = run.stderr.read_text(encoding="utf-8", errors="replace")[-2_000:]
        raise SystemExit(f"FAIL {what}: exit status {run.status}\n{tail}")
    return run


def sql(store: Path, query: str) -> list[dict[str, Any]]:
    """Rows of `chatlog sql QUERY --format json`."""
    out = subprocess.run(
        chatlog("sql", query, "--store", str(store), "--format", "json", "--max-rows", "100000"),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"FAIL chatlog sql: {out.stderr[-2_000:]}\n{query}")
    rows: list[dict[str, Any]] = json.loads(out.stdout)
    return rows


# --- the store ---------------------------------------------------------------------------------------------------


def build_dir(work: Path, n: int, seed: int) -> Path:
    return work / f"reports-n{n}-s{seed}"


def load_build(directory: Path) -> dict[str, Any] | None:
    """The cached build's record when it is complete and made by this generator version."""
    try:
        build: dict[str, Any] = json.loads((directory / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if build.get("generator") != GENERATOR_VERSION or not (directory / "store").is_dir():
        return None
    return build


def store_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in store.rglob("*") if p.is_file() and ".tmp" not in p.parts)


def build_store(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    """Generate the exports (child process), import them shop by shop, tag, score sentiment; time every step."""
    shutil.rmtree(directory, ignore_errors=True)
    inputs, store, logs = directory / "inputs", directory / "store", directory / "logs"
    inputs.mkdir(parents=True)
    steps: list[dict[str, Any]] = []

    def step(label: str, argv: Sequence[str], what: str) -> Run:
        print(f"  {what} …", file=sys.stderr, end="", flush=True)
        run = checked(run_measured(argv, logs, label), what)
        print(f" {run.seconds:.1f} s, {run.rss_mb:,.0f} MB", file=sys.stderr)
        steps.append({"step": what, "seconds": round(run.seconds, 2), "rss_mb": round(run.rss_mb)})
        return run

    gen = step(
        "generate",
        [sys.executable, __file__, "--generate", str(args.n), str(args.seed), str(inputs)],
        f"generate {args.n:,} messages (3 Pinduoduo CSV exports)",
    )
    generated = json.loads(gen.stdout.read_text(encoding="utf-8"))
    imports = []
    for shop in SHOPS:
        path = inputs / f"pdd-{shop.key}.csv"
        run = step(
            f"import-{shop.key}",
            chatlog("import", str(path), "--store", str(store), "--shop", shop.name, "--json"),
            f"chatlog import {path.name} --shop {shop.name} ({generated['per_shop'][shop.key]:,} messages)",
        )
        imports.append(json.loads(run.stdout.read_text(encoding="utf-8")))
    step("tag", chatlog("tag", "--store", str(store), "--quiet"), "chatlog tag")
    step("sentiment", chatlog("sentiment", "--store", str(store), "--quiet"), "chatlog sentiment")
    build = {
        "generator": GENERATOR_VERSION,
        "n": args.n,
        "seed": args.seed,
        "built": f"{dt.date.today():%Y-%m-%d}",
        "revision": bench_import.revision(),
        "generated": generated,
        "imports": imports,
        "steps": steps,
        "store_bytes": store_bytes(store),
        "input_bytes": sum(generated["files"].values()),
    }
    (directory / "build.json").write_text(json.dumps(build, ensure_ascii=False, indent=1), encoding="utf-8")
    return build


def local(expression: str) -> str:
    """China local time of a stored timestamp in SQL (as the store's own views compute it)."""
    return f"make_timestamp((epoch_ms({expression}) + {CHINA_OFFSET_MS}) * 1000)"


PROFILE_QUERIES: Final = {
    "roles": "SELECT sender_role, count(*) AS messages FROM messages GROUP BY 1 ORDER BY 2 DESC",
    "types": "SELECT msg_type, count(*) AS messages FROM messages GROUP BY 1 ORDER BY 2 DESC",
    "weeks": f"""
        SELECT strftime({local("sent_at")}, '%G-W%V') AS week, count(*) AS messages,
               count(DISTINCT conversation_id) AS conversations
        FROM messages GROUP BY 1 ORDER BY 1""",
    "conversations": f"""
        SELECT count(*) AS conversations,
               round(avg(messages), 1) AS mean_messages,
               quantile_disc(messages, [0.1, 0.5, 0.9, 0.99]) AS messages_p10_p50_p90_p99, max(messages) AS longest,
               count(*) FILTER (WHERE first_response_seconds IS NULL) AS unanswered,
               quantile_cont(first_response_seconds, [0.25, 0.5, 0.75, 0.9, 0.95, 0.99]) AS first_response_quantiles,
               count(*) FILTER (WHERE first_response_seconds <= 30) AS within_30s,
               count(*) FILTER (WHERE first_response_seconds <= 300) AS within_5min,
               count(*) FILTER (WHERE first_response_seconds > 1800) AS over_30min,
               count(*) FILTER (WHERE agents LIKE '%、%') AS several_agents,
               count(*) FILTER (WHERE CAST({local("started_at")} AS DATE) <> CAST({local("ended_at")} AS DATE))
                   AS across_midnight,
               count(*) FILTER (WHERE strftime({local("started_at")}, '%G-W%V')
                                      <> strftime({local("ended_at")}, '%G-W%V')) AS across_weeks
        FROM conversations""",
    "reply_delays": """
        WITH turns AS (
            SELECT sender_role, sent_at, lag(sender_role) OVER w AS previous_role, lag(sent_at) OVER w AS previous_at
            FROM messages WHERE sender_role IN ('buyer', 'agent')
            WINDOW w AS (PARTITION BY conversation_id ORDER BY sent_at, source_line))
        SELECT count(*) AS replies,
               quantile_cont(epoch(sent_at) - epoch(previous_at), [0.25, 0.5, 0.75, 0.9, 0.95, 0.99]) AS quantiles
        FROM turns WHERE sender_role = 'agent' AND previous_role = 'buyer'""",
    "robot_first": """
        SELECT count(*) AS conversations FROM (
            SELECT conversation_id,
                   arg_min(sender_role, epoch_ms(sent_at) * 1000000 + source_line)
                       FILTER (WHERE sender_role <> 'buyer') AS first_reply
            FROM messages GROUP BY 1)
        WHERE first_reply = 'bot'""",
    "shops": """
        SELECT shop, count(*) AS messages, count(DISTINCT conversation_id) AS conversations,
               count(DISTINCT agent) AS agents FROM messages GROUP BY 1 ORDER BY 2 DESC""",
    "agents": """
        SELECT agent, count(DISTINCT conversation_id) AS conversations,
               count(*) FILTER (WHERE sender_role = 'agent') AS messages
        FROM messages WHERE agent IS NOT NULL GROUP BY 1 ORDER BY 2 DESC""",
    "derived": """
        SELECT (SELECT count(*) FROM message_tags) AS tag_rows,
               (SELECT count(DISTINCT message_id) FROM message_tags) AS tagged_messages,
               (SELECT count(*) FROM message_sentiment) AS scored_messages,
               (SELECT count(*) FROM conversation_sentiment) AS scored_conversations""",
}


def profile_store(store: Path, n: int) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """`chatlog info` and the profile queries through `chatlog sql`; checks that the store has what it should."""
    info = subprocess.run(chatlog("info", "--store", str(store)), capture_output=True, text=True)
    if info.returncode != 0:
        raise SystemExit(f"FAIL chatlog info: {info.stderr[-2_000:]}")
    print(info.stdout, file=sys.stderr)
    profile = {name: sql(store, query) for name, query in PROFILE_QUERIES.items()}
    failures = []
    messages = sum(r["messages"] for r in profile["roles"])
    if messages != n:
        failures.append(f"FAIL the store holds {messages:,} messages, not {n:,}")
    derived = profile["derived"][0]
    if not derived["tag_rows"] or not derived["scored_messages"]:
        failures.append("FAIL the store has no tags or no sentiment scores")
    return profile, failures


def profile_lines(profile: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The store's shape in a few sentences (terminal and docs)."""
    roles = profile["roles"]
    total = sum(r["messages"] for r in roles)
    conv = profile["conversations"][0]
    count = conv["conversations"]
    q = conv["first_response_quantiles"] or [None] * 6
    weeks = ", ".join(
        f"{w['week']} {w['conversations']:,} conversations / {w['messages']:,} messages" for w in profile["weeks"]
    )
    shops = "; ".join(
        f"{s['shop']} {s['messages']:,} messages, {s['conversations']:,} conversations, {s['agents']} agents"
        for s in profile["shops"]
    )
    agents = profile["agents"]
    derived = profile["derived"][0]
    m = conv["messages_p10_p50_p90_p99"]
    replies = profile["reply_delays"][0]
    d = replies["quantiles"] or [None] * 6
    return [
        f"Messages: {total:,}; by role "
        + ", ".join(f"{r['sender_role']} {r['messages'] / total:.1%}" for r in roles)
        + "; by type "
        + ", ".join(f"{t['msg_type']} {t['messages'] / total:.1%}" for t in profile["types"])
        + ".",
        f"Conversations: {count:,}, {conv['mean_messages']} messages on average (p10/p50/p90/p99 "
        f"{m[0]}/{m[1]}/{m[2]}/{m[3]}, longest {conv['longest']}); robot answering first "
        f"{profile['robot_first'][0]['conversations'] / count:.1%}, unanswered by a human "
        f"{conv['unanswered'] / count:.1%}, handled by several agents (transfers, shift changes) "
        f"{conv['several_agents'] / count:.1%}, across midnight {conv['across_midnight'] / count:.1%}, "
        f"across a week boundary {conv['across_weeks']:,}.",
        f"First human response (首次响应时间, robot replies excluded): p25 {_seconds(q[0])}, median "
        f"{_seconds(q[1])}, p75 {_seconds(q[2])}, p90 {_seconds(q[3])}, p95 {_seconds(q[4])}, p99 {_seconds(q[5])}; "
        f"≤ 30 s {conv['within_30s'] / count:.0%}, ≤ 5 min {conv['within_5min'] / count:.0%}, "
        f"> 30 min {conv['over_30min'] / count:.1%} of conversations. Every human reply to a buyer message "
        f"({replies['replies']:,}): median {_seconds(d[1])}, p75 {_seconds(d[2])}, p90 {_seconds(d[3])}, "
        f"p95 {_seconds(d[4])}, p99 {_seconds(d[5])}.",
        f"Weeks (China time): {weeks}.",
        f"Shops: {shops}. Agents: {len(agents)}, {agents[-1]['conversations']:,}–{agents[0]['conversations']:,} "
        "conversations each.",
        f"Derived: {derived['tag_rows']:,} tag rows on {derived['tagged_messages']:,} messages; "
        f"{derived['scored_messages']:,} messages and {derived['scored_conversations']:,} conversations scored.",
    ]


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} s"
    if value < 2 * HOUR:
        return f"{value / 60:.1f} min"
    return f"{value / HOUR:.1f} h"


# --- the reports -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One report command: its label, arguments, output file (None: JSON on stdout) and whether the target applies."""

    label: str
    args: tuple[str, ...]
    output: Path | None
    targeted: bool


def cases(week: str, out: Path) -> list[Case]:
    span = ("--since", week, "--until", week)
    json_out = ("--format", "json")
    weekly = [
        Case(f"weekly → .{ext}", ("report", "weekly", "--week", week, "-o", str(out / f"report.{ext}")),
             out / f"report.{ext}", True)
        for ext in ("xlsx", "html", "json", "md")
    ]  # fmt: skip
    return [
        *weekly,
        Case("frequency", ("report", "frequency", *span, *json_out), None, True),
        Case("agents", ("report", "agents", *span, *json_out), None, False),
        Case("hourly", ("report", "hourly", *span, *json_out), None, False),
        Case(
            "pivot agent × day, conversations",
            ("report", "pivot", "--rows", "agent", "--cols", "day", "--values", "conversations", *span, *json_out),
            None,
            False,
        ),
    ]


def check_output(case: Case, run: Run) -> str | None:
    """What is wrong with a report's output, or None."""
    path = case.output or run.stdout
    if not path.exists() or path.stat().st_size == 0:
        return "no output"
    suffix = path.suffix if case.output else ".json"
    try:
        if suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                if "xl/workbook.xml" not in book.namelist():
                    return "not an XLSX workbook"
        elif suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif suffix == ".html":
            text = path.read_text(encoding="utf-8").lower()
            if "<table" not in text and "<html" not in text:
                return "no HTML table"
        elif suffix == ".md" and "|" not in path.read_text(encoding="utf-8"):
            return "no Markdown table"
    except (ValueError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        return f"{'not ' + suffix if case.output else 'stdout is not JSON'}: {error}"
    return None


@dataclass(slots=True)
class Result:
    """A report command's best run."""

    case: Case
    seconds: float = float("inf")
    rss_mb: float = 0.0
    output_bytes: int = 0
    problem: str | None = None


def error_line(stderr: Path) -> str:
    """The line of a failed command's stderr that says what went wrong (its exception, else its last line)."""
    lines = [line.strip() for line in stderr.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines = [line for line in lines if line and line[0] not in "│╭╰┃┏┗"]  # not inside a rich traceback box
    named = [line for line in lines if re.match(r"^(Error:|[A-Za-z_.]*(Error|Exception)\b)", line)]
    found = (named or lines or ["no message"])[-1]
    return found if len(found) <= 200 else found[:199] + "…"


def run_reports(args: argparse.Namespace, directory: Path, store: Path) -> list[Result]:
    out, logs = directory / "out", directory / "logs"
    out.mkdir(exist_ok=True)
    results = []
    for number, case in enumerate(cases(args.week, out)):
        result = Result(case)
        for attempt in range(args.repeat):
            if case.output:
                case.output.unlink(missing_ok=True)
            run = run_measured(chatlog(*case.args, "--store", str(store)), logs, f"report-{number}-{attempt}")
            if run.status != 0:
                result.problem = f"exit status {run.status}: {error_line(run.stderr)}"
                break
            result.problem = check_output(case, run)
            if run.seconds < result.seconds:
                result.seconds, result.rss_mb = run.seconds, run.rss_mb
                result.output_bytes = (case.output or run.stdout).stat().st_size
        shown = f"{result.seconds:.2f} s, {result.rss_mb:,.0f} MB" if result.problem is None else result.problem
        print(f"  {case.label}: {shown}", file=sys.stderr, flush=True)
        results.append(result)
    return results


def verdict(result: Result) -> str:
    if result.problem is not None:
        return "FAIL"
    if not result.case.targeted:
        return "—"
    return "PASS" if result.seconds <= TARGET_SECONDS else "FAIL"


def report_table(results: list[Result], repeat: int) -> list[str]:
    lines = [
        f"| report | command | output | seconds (best of {repeat}) | peak RSS MB | ≤ {TARGET_SECONDS:.0f} s | check |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        command = " ".join(a if "/" not in a else Path(a).name for a in ("chatlog", *r.case.args))
        size = _size(r.output_bytes) if r.problem is None else "—"
        seconds = f"{r.seconds:.2f}" if r.problem is None else "—"
        rss = f"{r.rss_mb:,.0f}" if r.problem is None else "—"
        lines.append(
            f"| {r.case.label} | `{command}` | {size} | {seconds} | {rss} | {verdict(r)} | {r.problem or 'ok'} |"
        )
    return lines


def _size(size: int) -> str:
    if size < 10_000:
        return f"{size:,} B"
    if size < 10 * 1024**2:
        return f"{size / 1024:,.0f} KB"
    return f"{size / 1024**2:,.1f} MB"


def build_table(build: dict[str, Any]) -> list[str]:
    lines = ["| store build step | seconds | messages/s | peak RSS MB |", "|---|---:|---:|---:|"]
    n = build["n"]
    for s in build["steps"]:
        label = s["step"]
        rate = ""
        if label.startswith("chatlog import"):
            rate = f"{int(label.rsplit('(', 1)[1].split()[0].replace(',', '')) / s['seconds']:,.0f}"
        elif label in ("chatlog tag", "chatlog sentiment") or label.startswith("generate"):
            rate = f"{n / s['seconds']:,.0f}"
        lines.append(f"| {label} | {s['seconds']:.2f} | {rate} | {s['rss_mb']:,} |")
    imports = [s for s in build["steps"] if s["step"].startswith("chatlog import")]
    total = sum(s["seconds"] for s in imports)
    lines.append(f"| chatlog import, {len(imports)} files in all | {total:.2f} | {n / total:,.0f} | |")
    return lines


# --- docs and main -----------------------------------------------------------------------------------------------


def machine() -> str:
    """CPU model, cores, RAM; Python and the versions of the packages the reports run on."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
    versions = []
    for package in ("pyarrow", "duckdb", "pandas", "openpyxl", "xlsxwriter", "jinja2", "snownlp", "pyahocorasick"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return (
        f"{cpu or platform.processor()}, {os.cpu_count()} logical cores, {mem_kib / 1024**2:.0f} GiB RAM; "
        f"Python {platform.python_version()}, {', '.join(versions)}"
    )


def record(
    args: argparse.Namespace,
    build: dict[str, Any],
    cached: bool,
    profile: list[str],
    profile_weeks: list[dict[str, Any]],
    results: list[Result] | None,
) -> None:
    """Replace the bench_reports section of docs/performance.md."""
    n = build["n"]
    built = f"when the store was built, {build['built']} at revision {build['revision']}" if cached else "in this run"
    lines = [
        "## Reports (`benchmarks/bench_reports.py`)",
        "",
        f"Run {dt.date.today():%Y-%m-%d} at revision {bench_import.revision()} on {machine()}.",
        f"`python benchmarks/bench_reports.py --n {n} --seed {args.seed} --week {args.week} --repeat {args.repeat}`.",
        "",
        f"Store: {n:,} messages over 2026-W46..W48 (China time), three Pinduoduo shops and 20 agents on shifts, "
        f"generated as one CSV export per shop ({build['input_bytes'] / 1024**2:,.0f} MB) and built with "
        f"`chatlog import --shop`, `chatlog tag` and `chatlog sentiment`, each a fresh process timed {built}; "
        f"store size {build['store_bytes'] / 1024**2:,.0f} MB on disk. Texts: `redaction_corpus.message_mix`.",
        "",
        *build_table(build),
        "",
        *(f"- {line}" for line in profile),
        "",
    ]
    week = next((w for w in profile_weeks if w["week"] == args.week), None)
    week_size = f" ({week['messages']:,} messages, {week['conversations']:,} conversations)" if week else ""
    if results is None:
        lines.append("Reports: NOT MEASURED (no `chatlog report` command in the measured tree).")
    else:
        lines += [
            f"Each report = `python -m chatlog_cli report … --store STORE` in a fresh process (start-up included), "
            f"wall time, best of {args.repeat}; peak RSS = that process's `ru_maxrss`. Week {args.week}"
            f"{week_size}; "
            "frequency, agents, hourly and pivot with `--since/--until` that week and `--format json` (stdout to a "
            f"file). Target: the weekly report (every format) and frequency ≤ {TARGET_SECONDS:.0f} s.",
            "",
            *report_table(results, args.repeat),
        ]
    bench_import.write_doc_section("bench_reports", "\n".join(lines))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="messages in the store")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--week", default=DEFAULT_WEEK, help="ISO week of the reports (the store covers W46-W48)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per report command; the best counts")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "chatlog-bench-reports",
        help="cache of generated exports and stores (one per N and seed)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the store again even if cached")
    parser.add_argument("--store-only", action="store_true", help="build/reuse and profile the store; no reports")
    parser.add_argument("--write-docs", action="store_true", help="record the results in docs/performance.md")
    return parser.parse_args(argv)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--generate":  # child: write the exports, print the counts
        n, seed, out_dir = int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(generate(n, seed, out_dir), ensure_ascii=False))
        return
    args = parse_args()
    directory = build_dir(args.work, args.n, args.seed)
    build = None if args.rebuild else load_build(directory)
    cached = build is not None
    if build is None:
        print(f"building the store in {directory} …", file=sys.stderr)
        build = build_store(args, directory)
    else:
        print(f"reusing the store in {directory} (built {build['built']})", file=sys.stderr)
    store = directory / "store"
    profile, failures = profile_store(store, args.n)
    summary = profile_lines(profile)
    print("\n".join(build_table(build)))
    print()
    print("\n".join(f"- {line}" for line in summary))
    results = None
    if not args.store_only:
        probe = subprocess.run(chatlog("report", "--help"), capture_output=True, text=True)
        if probe.returncode != 0:
            failures.append("NOT MEASURED: this tree has no `chatlog report` command (--store-only builds the store)")
        else:
            results = run_reports(args, directory, store)
            print()
            print("\n".join(report_table(results, args.repeat)))
            failures += [
                f"FAIL {r.case.label}: {r.problem or f'{r.seconds:.1f} s > {TARGET_SECONDS:.0f} s'}"
                for r in results
                if verdict(r) == "FAIL"
            ]
    if args.write_docs:
        record(args, build, cached, summary, profile["weeks"], results)
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    if results is not None:
        print(f"\nPASS: weekly report and frequency ≤ {TARGET_SECONDS:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
