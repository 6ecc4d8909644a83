from django.urls import path

from . import views

urlpatterns = [
    path("wechatpay/<slug:merchant>", views.wechatpay_notify, name="billing-notify-wechatpay"),
    path("alipay/<slug:merchant>", views.alipay_notify, name="billing-notify-alipay"),
]
