# Filled by the voting work.
app_name = "portal-voting"
urlpatterns: list = []
