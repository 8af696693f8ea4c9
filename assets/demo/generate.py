#!/usr/bin/env python3
"""Writes the demo data of `timport demo`: assets/demo/seed.json (the sandbox's groups) and
assets/demo/staging/*.jsonl (the history to import). Deterministic: the same files every run.

    python3 assets/demo/generate.py

The story: a company moves six group chats (and one archive) from its old chat system.
- support-desk (Public)      1,400 messages, clean.
- eng-core (Private)           900 messages, three broken lines (bad JSON, no sender, a
                               SendTime that is text), and lines out of order.
- @TGS#_bookclub (Community)   350 messages.
- town-hall (ChatRoom)         300 messages, one message far too large, one element type
                               the import page does not document.
- live-launch (AVChatRoom)     120 messages: the type cannot be imported into (10007).
- sales-emea (Public)          500 messages; the group already holds a message newer than the
                               first three staged ones: they are refused (10004) and wait in
                               the inspector (fix the SendTime, or skip them with a reason).
- archive-2019 (staged only)    50 messages for a group that does not exist yet: groups.jsonl
                               stages it (with its history's CreateTime, its owner and members),
                               so the run creates it before its messages.
accounts.jsonl stages the archive's two people (not in the app yet) and a new support agent;
groups.jsonl stages archive-2019 and support-desk (which exists: used as it is) with members and
unread counts: after the messages, new members are imported and members already there get their
unread counts set.
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
STAGING = os.path.join(HERE, "staging")
R = random.Random(20240501)

START = 1672704000  # 2023-01-03 00:00:00 UTC
CREATED = 1669852800  # 2022-12-01 00:00:00 UTC

PEOPLE = {
    "support-desk": ["agent.lin", "agent.maya", "agent.omar", "cust.0192", "cust.4471",
                     "cust.8830", "cust.1205", "cust.7719"],
    "eng-core": ["wei.zhang", "priya.n", "tom.b", "sara.k", "li.na", "deploy-bot"],
    "@TGS#_bookclub": ["reader.ann", "reader.bo", "reader.chen", "reader.dee"],
    "town-hall": ["ceo.office", "hr.team", "wei.zhang", "priya.n", "agent.lin", "sara.k"],
    "live-launch": ["host.jo", "viewer.1", "viewer.2", "viewer.3"],
    "sales-emea": ["sales.ines", "sales.paul", "sales.greta", "crm-bot"],
    "archive-2019": ["old.admin", "old.user"],
}

LINES = {
    "support-desk": [
        "Hi, my order #{n} has not arrived yet", "Let me check that for you", "Thanks for waiting!",
        "The tracking number is SF{n}", "Could you send a photo of the receipt?",
        "Refund issued, it takes 3-5 business days", "Is there anything else I can help with?",
        "我的订单还没有到", "已经帮您查询，请稍等", "Great, thank you so much", "Ticket {n} closed",
    ],
    "eng-core": [
        "PR #{n} is ready for review", "CI is red on main again", "Rolling back build {n}",
        "Can someone look at the flaky test?", "LGTM, merging", "Deploy to staging done",
        "部署完成", "Incident {n} resolved, postmortem tomorrow", "Who owns the billing service?",
        "Bumped the timeout to 30s", "Standup in 5 minutes",
    ],
    "@TGS#_bookclub": [
        "Chapter {n} was wonderful", "Who finished the book?", "Next pick: Three-Body Problem",
        "我更喜欢第二部", "Meeting Thursday at 7pm", "Spoilers ahead!", "Loved the ending",
    ],
    "town-hall": [
        "Welcome to the Q{q} town hall", "Questions go in this thread", "Slides: deck-{n}.pdf",
        "Thanks everyone for joining", "Recording will be shared later", "新办公室下个月启用",
        "Benefits enrolment closes Friday",
    ],
    "live-launch": [
        "We are live!", "Hello from Berlin", "Sound is great", "Can you show the demo again?",
        "Amazing launch", "👏👏👏",
    ],
    "sales-emea": [
        "Deal {n} signed", "Pipeline review at 10", "Lead from the webinar: ACME-{n}",
        "Quote sent to the customer", "Forecast updated", "CRM sync finished: {n} records",
    ],
    "archive-2019": ["Old message {n}", "Archive note {n}"],
}


def element(group):
    roll = R.random()
    n = R.randint(100, 99999)
    if roll < 0.85:
        text = R.choice(LINES[group]).format(n=n, q=R.randint(1, 4))
        return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]
    if roll < 0.90:
        return [{"MsgType": "TIMFaceElem", "MsgContent": {"Index": R.randint(1, 60), "Data": "face"}}]
    if roll < 0.94:
        return [{"MsgType": "TIMLocationElem", "MsgContent": {
            "Desc": R.choice(["Office", "Shenzhen HQ", "Berlin office", "Cafe"]),
            "Latitude": round(R.uniform(-60, 60), 6), "Longitude": round(R.uniform(-170, 170), 6)}}]
    if roll < 0.98:
        return [{"MsgType": "TIMCustomElem", "MsgContent": {
            "Data": json.dumps({"card": "ticket", "id": n}), "Desc": "ticket card",
            "Ext": "", "Sound": ""}}]
    return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "See this"}},
            {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "smile"}}]


def messages(group, count, start, spacing):
    t = start
    out = []
    for _ in range(count):
        t += R.randint(1, spacing)
        out.append({"From_Account": R.choice(PEOPLE[group]), "SendTime": t,
                    "MsgBody": element(group)})
    return out


def dump(group, lines):
    name = group + ".jsonl"
    with open(os.path.join(STAGING, name), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False))
            f.write("\n")


def main():
    os.makedirs(STAGING, exist_ok=True)
    for old in os.listdir(STAGING):
        os.remove(os.path.join(STAGING, old))

    dump("support-desk", messages("support-desk", 1400, START, 5000))

    eng = messages("eng-core", 900, START, 7000)
    # Out of order: two neighbours swapped (reported as a reorder, imported in time order).
    eng[100], eng[101] = eng[101], eng[100]
    eng = [json.dumps(m, ensure_ascii=False) for m in eng]
    eng.insert(200, '{"From_Account": "tom.b", "SendTime": 1673900000, "MsgBody": [')
    eng.insert(400, json.dumps({"SendTime": 1675000000, "MsgBody": element("eng-core")}))
    eng.insert(600, json.dumps({"From_Account": "li.na", "SendTime": "yesterday",
                                "MsgBody": element("eng-core")}))
    dump("eng-core", eng)

    dump("@TGS#_bookclub", messages("@TGS#_bookclub", 350, START, 20000))

    hall = messages("town-hall", 300, START, 20000)
    hall[150]["MsgBody"] = [{"MsgType": "TIMTextElem", "MsgContent": {
        "Text": "Full transcript: " + " ".join(["lorem ipsum dolor sit amet"] * 500)}}]
    hall[220]["MsgBody"] = [{"MsgType": "TIMImageElem", "MsgContent": {
        "UUID": "img-220", "ImageFormat": 1}}]
    dump("town-hall", hall)

    dump("live-launch", messages("live-launch", 120, START, 600))

    dump("sales-emea", messages("sales-emea", 500, START, 12000))
    dump("archive-2019", messages("archive-2019", 50, START - 40000000, 50000))

    sales_first = json.loads(open(os.path.join(STAGING, "sales-emea.jsonl")).readline())
    # The group already has a message a little newer than its third staged message.
    with open(os.path.join(STAGING, "sales-emea.jsonl"), encoding="utf-8") as f:
        third = json.loads(f.readlines()[2])["SendTime"]
    archive_first = json.loads(open(os.path.join(STAGING, "archive-2019.jsonl")).readline())
    archive_created = archive_first["SendTime"] - 86400
    dump("accounts", [
        {"UserID": "old.admin", "Nick": "Archive admin"},
        {"UserID": "old.user", "Nick": "Archive user"},
        {"UserID": "agent.zoe", "Nick": "Zoe (support)"},
    ])
    dump("groups", [
        {"GroupId": "archive-2019", "Type": "Public", "Name": "Archive 2019",
         "Owner_Account": "old.admin", "CreateTime": archive_created,
         "Introduction": "Messages from the old system, 2021",
         "MemberList": [
             {"Member_Account": "old.user", "JoinTime": archive_created + 60, "UnreadMsgNum": 5},
             {"Member_Account": "old.admin", "UnreadMsgNum": 2}]},
        {"GroupId": "support-desk", "Type": "Public", "Name": "Support desk",
         "Owner_Account": "agent.lin", "CreateTime": CREATED,
         "MemberList": [
             {"Member_Account": "agent.zoe", "Role": "Admin", "JoinTime": START - 86400,
              "UnreadMsgNum": 3},
             {"Member_Account": "cust.0192", "UnreadMsgNum": 1}]},
    ])
    seed = {
        "sdkappid": 1400000000,
        "admin": "administrator",
        # The archive's people are not in the app yet: accounts.jsonl stages them.
        "accounts": sorted({p for g, people in PEOPLE.items() if g != "archive-2019"
                            for p in people}),
        "groups": [
            {"id": "support-desk", "type": "Public", "name": "Support desk",
             "create_time": CREATED, "owner": "agent.lin", "members": PEOPLE["support-desk"][1:]},
            {"id": "eng-core", "type": "Private", "name": "Engineering",
             "create_time": CREATED, "owner": "wei.zhang", "members": PEOPLE["eng-core"][1:]},
            {"id": "@TGS#_bookclub", "type": "Community", "name": "Book club",
             "create_time": CREATED, "owner": "reader.ann"},
            {"id": "town-hall", "type": "ChatRoom", "name": "Town hall",
             "create_time": CREATED, "owner": "ceo.office"},
            {"id": "live-launch", "type": "AVChatRoom", "name": "Launch livestream",
             "create_time": CREATED, "owner": "host.jo"},
            {"id": "sales-emea", "type": "Public", "name": "Sales EMEA",
             "create_time": CREATED, "owner": "sales.ines", "members": PEOPLE["sales-emea"][1:],
             "messages": [{"from": "sales.ines", "time": third + 1, "random": 424242,
                           "body": [{"MsgType": "TIMTextElem", "MsgContent": {
                               "Text": "Posted in the new system already"}}]}]},
        ],
    }
    assert sales_first["SendTime"] < third + 1
    with open(os.path.join(HERE, "seed.json"), "w", encoding="utf-8") as f:
        json.dump(seed, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
