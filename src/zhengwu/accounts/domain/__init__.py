from .login import (
    login_failure_record,
    login_is_throttled,
    login_success_record,
    login_throttled_message,
    login_user_find,
    logout_record,
)
from .registration import (
    citizen_register,
    citizen_registration_validate,
    enterprise_register,
    enterprise_registration_validate,
)
from .staff import role_grant, role_revoke, staff_create, staff_create_validate

__all__ = [
    "citizen_register",
    "citizen_registration_validate",
    "enterprise_register",
    "enterprise_registration_validate",
    "login_failure_record",
    "login_is_throttled",
    "login_success_record",
    "login_throttled_message",
    "login_user_find",
    "logout_record",
    "role_grant",
    "role_revoke",
    "staff_create",
    "staff_create_validate",
]
