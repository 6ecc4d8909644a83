# Filled by the tickets work.
app_name = "worker"
urlpatterns: list = []
