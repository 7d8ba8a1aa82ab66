"""Status bytes: what each printer state answers, and what no answer means (never "fine")."""

import pytest

from drivers.printer.status import CANNOT_ASK, SILENT, PrinterStatus, decode, encode


@pytest.mark.parametrize(
    "state, expected",
    [
        (dict(online=True, paper="ok", cover_open=False), PrinterStatus(True, "ok", False)),
        (dict(online=True, paper="low", cover_open=False), PrinterStatus(True, "low", False)),
        (dict(online=True, paper="out", cover_open=False), PrinterStatus(False, "out", False)),
        (dict(online=True, paper="ok", cover_open=True), PrinterStatus(False, "ok", True)),
        (dict(online=False, paper="ok", cover_open=False), PrinterStatus(False, "ok", False)),
    ],
)
def test_each_state_answers_and_decodes_back(state, expected):
    answers = encode(**state)
    assert decode(answers[1], answers[2], answers[4]) == expected


def test_epson_bytes_from_the_manual():
    assert decode(0x12, 0x12, 0x12) == PrinterStatus(True, "ok", False)
    assert decode(0x12, 0x12, 0x1E) == PrinterStatus(True, "low", False)
    assert decode(0x1A, 0x32, 0x72) == PrinterStatus(False, "out", False)
    assert decode(0x1A, 0x16, 0x12) == PrinterStatus(False, "ok", True)


@pytest.mark.parametrize("printer", [None, 0x00, 0xFF, 0x41, 0x13])
def test_no_answer_or_noise_is_offline_and_unknown(printer):
    assert decode(printer, 0x12, 0x12) == SILENT
    assert SILENT.online is False and SILENT.paper == "unknown" and SILENT.cover_open is None


def test_unanswered_questions_stay_unknown():
    assert decode(0x12, None, None) == PrinterStatus(True, "unknown", None)
    assert decode(0x1A, 0x32, None).paper == "out"  # the offline cause says paper end


def test_a_write_only_connector_cannot_know():
    assert CANNOT_ASK.online is None and CANNOT_ASK.paper == "unknown"
