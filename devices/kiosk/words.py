"""Everything the kiosk says on its screen, in Chinese and English, in one place.

The screen texts are data, so the menu renderer only lays them out, the tests can check that
the shipped font draws every one of them, and a hall that wants other wording changes one file.
Refusals from the controller come with an English sentence for the citizen; the Chinese for the
common ones is here, keyed by the refusal's code.
"""

from __future__ import annotations

from hall.config import Names

CHOOSE_TOUCH = Names("请选择要办理的业务", "Please choose your service")
CHOOSE_BUTTONS = Names("请按下要办理业务的按钮取号", "Press the button of your service to take a ticket")
WAITING = Names("等候 {n} 人", "{n} waiting")
PRIORITY_BUTTON = Names("优先取号", "Priority ticket")
PRIORITY_WHO = Names("老人 · 残疾人 · 孕妇", "Elderly · disabled · pregnant")
PRIORITY_ARMED = Names("已选择优先 · 请选择业务", "Priority selected · now choose a service")
PRIORITY_ARMED_STAFF = Names(
    "已申请优先,请向工作人员出示号票 · 请选择业务",
    "Priority asked for: show your ticket to staff · now choose a service",
)
PRIORITY_STAFF = Names("工作人员确认", "confirmed by staff")
CHECK_IN_BUTTON = Names("预约签到", "Appointment check-in")
CHECK_IN_TITLE = Names("预约签到", "Appointment check-in")
CHECK_IN_PROMPT = Names("请输入预约码", "Enter your booking code")
DELETE = Names("删除", "Delete")
CANCEL = Names("返回", "Back")
CONFIRM = Names("签到", "Check in")
PRINTING = Names("正在出票，请稍候", "Printing your ticket, please wait")
TAKE_TICKET = Names("请取走您的号票", "Please take your ticket")
OFFLINE_BANNER = Names(
    "离线出号：号票有效，系统恢复后自动登记",
    "Issuing offline: your ticket is valid and is recorded when the system is back",
)
OUT_OF_SERVICE = Names("暂停服务", "Out of service")
GO_ELSEWHERE = Names(
    "请使用其他取号机，或到服务台取号", "Please use another ticket machine or ask at the information desk"
)
PROBLEMS = {
    "paper_out": Names("打印纸已用完", "The ticket printer is out of paper"),
    "cover_open": Names("打印机盖未关好", "The ticket printer's cover is open"),
    "printer_offline": Names("打印机无响应", "The ticket printer is not responding"),
}
PRINT_FAILED = Names("出票失败，请重新取号", "The ticket could not be printed; please try again")
NO_OFFLINE_NUMBERS = Names(
    "系统暂时无法出号，请到服务台", "No ticket can be issued right now; please ask at the information desk"
)
CHECK_IN_OFFLINE = Names(
    "预约签到暂不可用，请到服务台", "Check-in is not available right now; please ask at the information desk"
)
REFUSALS = {
    "unknown_appointment": Names("未找到该预约，请核对预约码", "No booking has this code; please check it"),
    "already_checked_in": Names("该预约已签到", "This booking is already checked in"),
    "too_early": Names("还未到签到时间", "It is too early to check in"),
    "appointment_missed": Names(
        "预约时间已过，请取普通号", "Your booked time has passed; please take an ordinary ticket"
    ),
    "numbers_exhausted": Names("今日号码已发完", "All numbers for today have been issued"),
}
REFUSED = Names("暂时无法取号，请到服务台", "No ticket can be issued; please ask at the information desk")


def refusal(code: str, message: str) -> Names:
    """What to show for a refusal: Chinese by its code, the controller's own English sentence."""
    words = REFUSALS.get(code, REFUSED)
    return Names(words.zh, message.strip() or words.en)


def every_text() -> list[str]:
    """Every fixed text of the screen (for the font check)."""
    out: list[str] = []
    for value in globals().values():
        if isinstance(value, Names):
            out += [value.zh, value.en]
        elif isinstance(value, dict) and value and all(isinstance(v, Names) for v in value.values()):
            out += [t for names in value.values() for t in (names.zh, names.en)]
    return out
