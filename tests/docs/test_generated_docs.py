"""Documents generated from code must match the code they describe."""

from pathlib import Path

from hall_controller.engine import diagram

DOCS = Path(__file__).parents[2] / "docs"


def test_ticket_state_diagram_matches_the_transition_table():
    assert (DOCS / "ticket-states.md").read_text() == diagram.markdown(), (
        "regenerate with: python -m hall_controller.engine.diagram > docs/ticket-states.md"
    )
