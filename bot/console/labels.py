"""Chinese names of the console's codes (categories, statuses, emotions, roles, …).

Templates reach this module as ``L``: ``L.name(L.STATUS, ticket.status)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CATEGORY = {
    "complain_quality": "产品质量",
    "complain_delivery": "物流配送",
    "complain_billing": "收费扣费",
    "complain_refund": "退款售后",
    "complain_service": "服务态度",
    "complain_promise": "承诺未兑现",
    "complain_other": "其他投诉",
}

STATUS = {
    "open": "待处理",
    "handed_off": "待人工接手",
    "in_progress": "处理中",
    "resolved": "已解决",
    "closed": "已关闭",
    "cancelled": "已撤销",
}

EMOTION = {
    "anger": "愤怒",
    "anxiety": "焦急",
    "sadness": "失望",
    "neutral": "平静",
    "positive": "满意",
}

INTENSITY = {1: "轻微", 2: "明显", 3: "强烈"}

ROLE = {"agent": "客服", "trainer": "训练师", "admin": "主管/管理员"}

CHANNEL = {"rest": "REST 接口", "socketio": "网页聊天", "wechat": "微信公众号"}

EVENT = {
    "created": "创建工单",
    "status": "状态变更",
    "assigned": "分配",
    "info_added": "客户补充",
    "note": "内部备注",
    "staff_reply": "人工回复",
    "survey": "满意度评价",
    "follow_up": "需要回访",
    "viewed_phone": "查看完整电话",
}

AUDIT = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_blocked": "登录被限制",
    "logout": "退出",
    "view_ticket": "查看工单",
    "reveal_phone": "查看完整电话",
    "reply": "回复客户",
    "reply_failed": "回复未送达",
    "note": "内部备注",
    "assign": "分配工单",
    "resolve": "解决工单",
    "reopen": "重新打开",
    "flag_message": "标记消息给训练师",
    "view_dashboard": "查看看板",
    "export_csv": "导出 CSV",
    "label_intent": "标注意图",
    "label_emotion": "标注情绪",
    "inbox_sync": "同步收件箱",
    "inbox_export": "导出训练数据",
    "retrain": "开始训练",
    "user_create": "创建账号",
    "user_update": "修改账号",
    "password_change": "修改密码",
    "view_audit": "查看审计日志",
    "api_call": "API 调用",
}

#: Colours of emotions in charts and badges (same in CSS).
EMOTION_COLOR = {
    "anger": "#d64545",
    "anxiety": "#e08a1e",
    "sadness": "#6b6fcf",
    "neutral": "#8a94a6",
    "positive": "#2f9e6b",
}


def name(table: Mapping[Any, str], code: object) -> str:
    """The Chinese name of ``code`` in ``table``; unknown codes are shown as they are."""
    if code is None or code == "":
        return "—"
    return table.get(code, str(code))
