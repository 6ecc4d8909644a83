# Filled by the API work.
urlpatterns: list = []
