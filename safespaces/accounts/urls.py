from django.urls import path

from safespaces.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.verify, name="verify"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("login/language/", views.language_switch, name="language_switch"),
    path("account/", views.account, name="account"),
    path("account/language/", views.account_language, name="account_language"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/authenticator/", views.authenticator, name="authenticator"),
    path("account/backup-codes/", views.backup_codes, name="backup_codes"),
    path("account/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("colleagues/pick/", views.colleague_pick, name="pick_colleague"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:user_id>/role/", views.user_role, name="user_role"),
    path("users/<uuid:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<uuid:user_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<uuid:user_id>/setup-link/", views.setup_link_issue, name="setup_link_issue"),
    path(
        "users/<uuid:user_id>/reset-second-factor/",
        views.second_factor_reset,
        name="second_factor_reset",
    ),
    # Public: the link's code comes in the POST body only. See views.setup.
    path("setup/", views.setup, name="setup"),
    path("setup/<slug:token>/", views.setup_old_link, name="setup_old_link"),
]
