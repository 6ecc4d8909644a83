# Filled by the access work.
urlpatterns: list = []
