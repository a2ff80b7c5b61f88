from django.contrib.auth.backends import ModelBackend

from zhengwu.accounts.domain.login import login_user_find
from zhengwu.accounts.models import User


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
