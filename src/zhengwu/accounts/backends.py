from django.contrib.auth.backends import ModelBackend

from zhengwu.accounts.domain.login import login_user_find
from zhengwu.accounts.models import User
from zhengwu.accounts.rules import access_remember, user_with_access


class ZhengwuAuthBackend(ModelBackend):
    """Log in with the username or the mobile number (a username match wins over a phone match)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = login_user_find(username)
        if user is None:
            User().set_password(password)  # equalise timing with the found-user path
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The request's user with its staff profile and roles, in one query (read afresh on every request, so
        deactivation, a new password or a changed role counts at once)."""
        try:
            user = user_with_access(user_id)
        except User.DoesNotExist:
            return None
        return access_remember(user) if self.user_can_authenticate(user) else None
