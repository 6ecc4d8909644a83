"""Account writes, one module per concern, all importable from ``community.accounts.services``.

* ``invitations`` — residents join through a staff invitation proven by SMS code;
* ``tokens`` — API tokens: issued, listed, revoked, expired; "log out everywhere";
* ``identifiers`` — changing an account's phone or email without handing it to someone else;
* ``accounts`` — the admin's writes: create, correct, set a password (recorded).
"""

from .accounts import (
    account_create,
    account_password_set,
    account_update,
    staff_may_change_account,
)
from .identifiers import (
    identifier_change_by_staff,
    identifier_change_confirm,
    identifier_change_request,
    staff_may_change_identifiers,
)
from .invitations import (
    INVITATION_VALID_FOR,
    MAX_ATTEMPTS,
    account_for_phone,
    invitation_accept,
    invitation_create,
    invitation_verify,
)
from .tokens import (
    api_token_authenticate,
    api_token_issue,
    api_token_revoke,
    api_tokens_revoke_all,
    user_logout_everywhere,
)

__all__ = [
    "INVITATION_VALID_FOR",
    "MAX_ATTEMPTS",
    "account_create",
    "account_for_phone",
    "account_password_set",
    "account_update",
    "api_token_authenticate",
    "api_token_issue",
    "api_token_revoke",
    "api_tokens_revoke_all",
    "identifier_change_by_staff",
    "identifier_change_confirm",
    "identifier_change_request",
    "invitation_accept",
    "invitation_create",
    "invitation_verify",
    "staff_may_change_account",
    "staff_may_change_identifiers",
    "user_logout_everywhere",
]
