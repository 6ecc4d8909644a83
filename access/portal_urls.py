# Filled by the access work.
app_name = "portal-access"
urlpatterns: list = []
