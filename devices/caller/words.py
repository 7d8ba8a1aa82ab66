"""What the clerk reads: the controller's refusals, states, pause reasons and outcomes in Chinese and English.

The controller's `error.message` is already an English sentence about this very case ("nobody is
waiting for counter 3"); the clerk's screen shows it under a short Chinese line chosen by the
refusal's code. A code this table does not know still shows the controller's sentence.
"""

from __future__ import annotations

from hall.config import Names

REFUSALS: dict[str, str] = {
    "nothing_waiting": "没有等候的号",
    "counter_closed": "窗口未开放,请先登录",
    "counter_paused": "窗口暂停中,请先恢复",
    "counter_busy": "请先办结、挂起或转移当前号",
    "already_open": "窗口已开放",
    "not_paused": "窗口未暂停",
    "no_ticket": "当前没有号",
    "bad_state": "当前号的状态不允许此操作",
    "bad_clerk": "工号无效",
    "bad_reason": "暂停原因无效",
    "nothing_held": "没有挂起的号",
    "not_held": "该号未在本窗口挂起",
    "bad_transfer": "无法转移",
    "unknown_service": "没有此业务",
    "unknown_counter": "没有此窗口",
    "bad_outcome": "办结结果无效",
    "unknown_ticket": "今天没有此号",
    "too_late": "已超过恢复时限",
    "not_asked": "该号未申请优先",
    "already_decided": "该号的优先申请已处理",
    "not_announced_yet": "该号尚未播报,请稍候",
    "too_soon": "播报后请稍候再过号",
    "not_allowed": "本设备不能做此操作",
    "bad_field": "请求无效",
    "malformed": "请求无效",
}
REFUSED = "操作被拒绝"

TIMEOUT = Names("控制器无响应,请重试", "controller not answering, try again")
OFFLINE = Names("离线", "offline")
CONTROLLER_DOWN = Names("控制器离线", "controller offline")

COUNTER_STATES = {"open": Names("开放", "open"), "paused": Names("暂停", "paused"), "closed": Names("关闭", "closed")}
NOT_ANNOUNCED = Names("待播报", "waiting to be announced")
ANNOUNCED = Names("已播报", "announced")
RECALL_ANNOUNCED = Names("重呼已播报", "recall announced")

TICKET_STATES = {
    "called": Names("已呼叫", "called"),
    "serving": Names("办理中", "serving"),
    "held": Names("挂起", "held"),
}

PAUSE = {  # in the order of the pause menu (hall.config.PAUSE_REASONS; a test checks it)
    "break": Names("休息", "break"),
    "meal": Names("用餐", "meal"),
    "meeting": Names("开会", "meeting"),
    "consultation": Names("业务咨询", "consultation"),
    "training": Names("培训", "training"),
    "system": Names("系统维护", "system"),
    "other": Names("其他事务", "other"),
}
OUTCOME = {  # in the order of the finish menu (hall.config.OUTCOMES)
    "completed": Names("办结", "completed"),
    "materials_incomplete": Names("材料不全", "materials incomplete"),
    "referred": Names("转介", "referred"),
    "refused": Names("不予受理", "refused"),
    "collect_later": Names("待取件", "collect later"),
}


def refusal(code: str, message: str) -> Names:
    """A refusal as the clerk reads it: a short Chinese line and the controller's own sentence."""
    return Names(REFUSALS.get(code, REFUSED), message or code)
