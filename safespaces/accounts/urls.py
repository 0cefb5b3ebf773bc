from django.urls import path

from safespaces.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.verify, name="verify"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/authenticator/", views.authenticator, name="authenticator"),
    path("account/backup-codes/", views.backup_codes, name="backup_codes"),
    path("users/", views.user_list, name="users"),
    path(
        "users/<uuid:user_id>/reset-second-factor/",
        views.second_factor_reset,
        name="second_factor_reset",
    ),
]
