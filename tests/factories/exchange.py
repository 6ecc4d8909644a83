import factory

from exchange.models import DataGrant, ExternalSystem
from tests.factories.residents import EstateFactory

__all__ = ["DataGrantFactory", "ExternalSystemFactory"]


class ExternalSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalSystem

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"destination {n}")
    kind = "gat1400"
    endpoint = "http://127.0.0.1:9/"
    credentials_ref = "VIID_TEST"
    enabled = True
    device_id = "33010200001190000001"
    extensions = factory.LazyFunction(lambda: ["PersonInfos", "DoorInfos"])
    batch_size = 50


class DataGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataGrant

    system = factory.SubFactory(ExternalSystemFactory)
    category = "resident_change"
    legal_basis = "legal_obligation"
    basis_reference = "《流动人口居住登记条例》"
