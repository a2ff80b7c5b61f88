from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from zhengwu.accounts.models import User


class ZhengwuAuthBackend(ModelBackend):
    """Log in with the username or the mobile number."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = username.strip()
        candidates = list(User.objects.filter(Q(username=username) | Q(phone=username))[:2])
        if len(candidates) != 1:
            User().set_password(password)  # equalise timing with the found-user path
            return None
        user = candidates[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
