"""Bad input the property-based suite (test_properties_service.py) found crashing, each
kept as a plain example: a DomainError in French (or a quiet no-op), never another
exception, and nothing written."""

from __future__ import annotations

import pytest
from conftest import activate

from entkiosk.domain import errors

# A valid-looking token behind Unicode spaces: strip() lets it through the format check,
# then hashing it as ASCII crashed.
PADDED_TOKEN = "\u2003" + "A" * 43


@pytest.mark.parametrize("token", ["\xa0", "é", "\ud800", PADDED_TOKEN])
def test_a_non_ascii_token_is_simply_no_session(service, letter, token):
    live = activate(service, letter)
    service.logout(token)  # nothing to end
    for call in (service.account, service.decline_charter, service.close_kiosk, service.staff_member):
        with pytest.raises(errors.SessionExpired):
            call(token)
    with pytest.raises(errors.SessionExpired):
        service.validate_email("K7QF-2M9X", token=token)
    assert service.account(live).identifier == letter.identifier  # the real session is untouched
