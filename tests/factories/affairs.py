import factory

from community.affairs.models import ServiceItem
from tests.factories.residents import EstateFactory

__all__ = ["AffairsItemFactory", "pdf_upload"]

MATERIALS = [
    {"key": "id_card", "label": "身份证复印件", "required": True},
    {"key": "lease", "label": "房产证或租赁合同", "required": True},
]


class AffairsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem

    estate = factory.SubFactory(EstateFactory)
    code = factory.Sequence(lambda n: f"residence-{n}")
    name = "居住证明"
    office = "阳光社区居委会"
    materials = factory.LazyFunction(lambda: [dict(m) for m in MATERIALS])
    time_limit_days = 3
    issues_certificate = True
    certificate_title = "居住证明"


def pdf_upload(name: str = "doc.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")
