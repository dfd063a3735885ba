"""``login()`` returns a ``UserSession``: its user and ghostId are typed without ``None``; a login reply that lacks
either is a FrameError that says so, not an AttributeError later (issue 13 items 4-5)."""

from __future__ import annotations

import pytest
from fleetfreedom import FrameError, Session, UserSession
from fleetfreedom.models import SelfUser


def test_a_logged_in_session_has_its_user_and_ghost_id() -> None:
    user = SelfUser.model_validate({"id": 5, "login": "dispatch@example.com"})
    session = UserSession.of(Session(ghost_id="g-123456789", user=user, code=0))
    assert session.user is user and session.ghost_id == "g-123456789" and session.logged_in
    assert isinstance(session, Session)  # client.session and login() describe the same session


@pytest.mark.parametrize("ghost_id", [None, ""])
def test_a_login_reply_without_user_or_ghost_id_is_a_frame_error(ghost_id: str | None) -> None:
    with pytest.raises(FrameError, match="no user or no ghostId"):
        UserSession.of(Session(ghost_id=ghost_id, code=0))
    user = SelfUser.model_validate({"id": 5, "login": "dispatch@example.com"})
    with pytest.raises(FrameError, match="no user or no ghostId"):
        UserSession.of(Session(ghost_id=ghost_id, user=user, code=0))
