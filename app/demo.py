"""The demo data set: one committee with eight branches, every role, two years of answers.

Answers are drawn from a fixed random seed, so every demo database is the same: each item at a
level 1–5 around the branch's strength, as its type answers at that level (`Item.sample`). Last year
was answered with the previous questionnaire version and this year with the newest, as a
real deployment's history would be.
"""

from __future__ import annotations

import random
from datetime import date

from app.assessment.items import NOT_APPLICABLE, Item
from app.assessment.questionnaire import available_versions, get_questionnaire

from .database import write_transaction
from .extensions import db
from .models import Cycle, Organisation, User
from .selfcheck import service

DEMO_PASSWORD = "demo1234"

# code, kind, name, parent code
ORGANISATIONS = [
    ("CG", "committee", "城关镇党委", None),
    ("CG-JG", "general_branch", "机关党总支", "CG"),
    ("CG-SQ", "general_branch", "社区党总支", "CG"),
    ("B01", "branch", "党政办党支部", "CG-JG"),
    ("B02", "branch", "财政所党支部", "CG-JG"),
    ("B03", "branch", "农业服务中心党支部", "CG-JG"),
    ("B04", "branch", "东街社区党支部", "CG-SQ"),
    ("B05", "branch", "西街社区党支部", "CG-SQ"),
    ("B06", "branch", "南苑社区党支部", "CG-SQ"),
    ("B07", "branch", "中心学校党支部", "CG"),
    ("B08", "branch", "卫生院党支部", "CG"),
    ("XQ", "committee", "新区党委", None),
    ("XQ-01", "branch", "新区管委会党支部", "XQ"),
]

# username, display name, role, organisation code, trainer assignments
USERS = [
    ("admin", "系统管理员", "admin", "CG", ()),
    ("leader", "王书记(党委)", "leader", "CG", ()),
    ("leader-sq", "李书记(社区党总支)", "leader", "CG-SQ", ()),
    ("trainer", "张老师(党校)", "trainer", "CG", ("CG", "XQ")),
    *[(f"b{n:02d}", f"B{n:02d} 支部书记", "branch", f"B{n:02d}", ()) for n in range(1, 9)],
    ("xq-leader", "赵书记(新区)", "leader", "XQ", ()),
    ("xq01", "XQ-01 支部书记", "branch", "XQ-01", ()),
]

# How strong each branch's practice is (0–1); this year a little better than last.
STRENGTH = {
    "B01": 0.45,
    "B02": 0.8,
    "B03": 0.3,
    "B04": 0.65,
    "B05": 0.55,
    "B06": 0.4,
    "B07": 0.7,
    "B08": 0.25,
    "XQ-01": 0.6,
}
# This year's state: everything else is submitted.
THIS_YEAR_STATE = {"B01": None, "B08": None, "B06": "draft", "B07": "draft"}

EVIDENCE = [
    "今年支部按计划开展专题学习，书记亲自讲课并逐一点评，讲稿提前一周发给党员征求意见。",
    "支部建立学习积分台账，记录讲课、点评和测试情况，年底在支部内通报。",
    "主讲人修改讲稿后到联系的社区再讲一次，并整理成文章两篇。",
    "开展“精读一本好书、撰写一篇心得”活动，党员都交了读书心得。",
]
# Items that do not apply to a branch this year: the school's members are linked to no
# community, the health centre's study is paid for by the committee.
NOT_APPLICABLE_TO = {"B07": {"T10"}, "B08": {"L08"}}
# B03 contradicts itself this year, to show the consistency flags: no written study rules, yet
# rules that fix three of the five elements and fit the unit; no study plan, yet an account
# of a lecture given "按学习方案".
CONTRADICTIONS = {
    "B03": {
        "R01": False,
        "R02": 3,
        "R09": True,
        "T01": False,
        "T12": "四月按学习方案安排了一次专题讲课，主讲人提前一周把初稿发给党员，讲后大家逐一点评。",
    }
}


def answer_for(item: Item, strength: float, rng: random.Random):
    """An answer of a branch of `strength` (0–1): its type's answer at a level near it; evidence for free text."""
    if not item.scored:
        return rng.choice(EVIDENCE)
    level = min(1.0, max(0.0, strength + rng.uniform(-0.25, 0.25)))
    return item.sample(1 + round(level * 4))


def answers_of(code: str, items, strength: float, rng: random.Random, this_year: bool) -> dict:
    answers = {i.id: answer_for(i, strength, rng) for i in items}
    if this_year:
        answers.update({k: v for k, v in CONTRADICTIONS.get(code, {}).items() if k in answers})
    for item in items:
        if item.allows_na and item.id in NOT_APPLICABLE_TO.get(code, ()):
            answers[item.id] = NOT_APPLICABLE
    return answers


def seed() -> str:
    """The demo committee, branches, users and two years of answers, in one write (a command)."""
    with write_transaction():
        orgs = {}
        for code, kind, name, parent in ORGANISATIONS:
            parent_org = orgs.get(parent)
            orgs[code] = Organisation(
                code=code,
                kind=kind,
                name=name,
                parent=parent_org,
                path=(parent_org.path if parent_org else "/") + code + "/",
            )
            db.session.add(orgs[code])
        for username, name, role, org_code, assigned in USERS:
            user = User(username=username, name=name, role=role, organisation=orgs[org_code], locale=None)
            user.set_password(DEMO_PASSWORD)
            user.assigned = [orgs[c] for c in assigned]
            db.session.add(user)
        versions = available_versions()
        this_year = date.today().year
        version_of = {this_year - 1: versions[-2] if len(versions) > 1 else versions[-1], this_year: versions[-1]}
        cycles = {
            year: Cycle(
                year=year, questionnaire_version=version, opens_on=date(year, 1, 1), closes_on=date(year, 12, 31)
            )
            for year, version in version_of.items()
        }
        db.session.add_all(cycles.values())
        db.session.commit()

        rng = random.Random(2026)
        for year, cycle in sorted(cycles.items()):
            questionnaire = get_questionnaire(cycle.questionnaire_version)
            for code, strength in STRENGTH.items():
                state = THIS_YEAR_STATE.get(code, "submitted") if year == this_year else "submitted"
                if state is None:
                    continue
                strength = strength + (0.08 if year == this_year else 0)
                items = [i for p in questionnaire.pillars for i in p.items]
                if state == "draft":
                    items = items[: len(items) // 2]
                answers = answers_of(code, items, strength, rng, year == this_year)
                selfcheck = service.start_selfcheck(orgs[code], cycle)
                service.save_answers(selfcheck, answers, None, enforce_window=False)
                if state == "submitted":
                    service.submit(selfcheck, None, enforce_window=False)
        return (
            f"Seeded {len(ORGANISATIONS)} organisations, {len(USERS)} users (password {DEMO_PASSWORD}), "
            f"cycles {this_year - 1} (questionnaire {version_of[this_year - 1]}) and {this_year} "
            f"(questionnaire {version_of[this_year]})."
        )
