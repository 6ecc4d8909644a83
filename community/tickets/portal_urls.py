# Filled by the tickets work.
app_name = "portal-tickets"
urlpatterns: list = []
