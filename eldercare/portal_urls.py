from django.urls import path

from . import views

app_name = "portal-care"

urlpatterns = [
    path("", views.portal_index, name="index"),
    path("book/", views.portal_book, name="book"),
    path("orders/<int:pk>/", views.portal_order, name="order"),
    path("orders/<int:pk>/<slug:action>/", views.portal_order_act, name="order_act"),
    path("statement/", views.portal_statement, name="statement"),
]
