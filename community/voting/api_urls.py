# Filled by the voting work.
urlpatterns: list = []
