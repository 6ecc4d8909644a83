# Filled by the access work.
app_name = "staff-access"
urlpatterns: list = []
