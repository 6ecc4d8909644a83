# Filled by the tickets work.
app_name = "staff-tickets"
urlpatterns: list = []
