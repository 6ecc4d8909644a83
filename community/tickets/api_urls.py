# Filled by the tickets work.
urlpatterns: list = []
