"""Staff login to the workbench: the same accounts as the portal, for staff only."""

from django.contrib.auth import views as auth_views
from django.urls import reverse

from zhengwu.accounts.domain import login_success_record
from zhengwu.accounts.forms import StaffLoginForm
from zhengwu.core.middleware import client_ip


class StaffLoginView(auth_views.LoginView):
    form_class = StaffLoginForm
    template_name = "workbench/auth/login.html"

    def get_default_redirect_url(self):
        return reverse("workbench:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        login_success_record(
            user=form.get_user(),
            username=form.cleaned_data["username"],
            ip=client_ip(self.request),
            channel="workbench",
        )
        return response


login = StaffLoginView.as_view()
