"""Resource types as Russian nouns, in the forms and genders the recommendation texts need.

Data with its one constructor: the facts (recommendations_ai.facts) carry a TypeNoun, and the
renderer (recommendations_ai.templates_ru) agrees adjectives and pronouns with its gender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Gender = Literal["m", "f", "n"]


@dataclass(frozen=True, kw_only=True)
class TypeNoun:
    """A resource type as a Russian noun in the forms the texts need."""

    nominative: str  # "снапшот", "IP-адрес", "виртуальная машина"
    genitive: str  # after "при удалении"/"при переносе": "снапшота", "IP-адреса"
    accusative: str  # object of "можно удалить": "снапшот", "виртуальную машину"
    subject: str  # sentence start, may be shorter: "Снапшот", "IP"
    gender: Gender  # drives adjective and pronoun agreement


def _noun(
    nominative: str,
    genitive: str,
    gender: Gender,
    *,
    accusative: str | None = None,
    subject: str | None = None,
) -> TypeNoun:
    subject = subject or nominative
    return TypeNoun(
        nominative=nominative,
        genitive=genitive,
        # Inanimate masculine and neuter nouns have accusative = nominative.
        accusative=accusative or nominative,
        subject=subject[:1].upper() + subject[1:],
        gender=gender,
    )


def cluster_noun(product: str) -> TypeNoun:
    return _noun(f"кластер {product}", f"кластера {product}", "m")


RESOURCE_NOUN = _noun("ресурс", "ресурса", "m")
CLUSTER_PRODUCTS = {
    "kubernetes": "Kubernetes",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "kafka": "Kafka",
    "redis": "Redis",
    "mongodb": "MongoDB",
    "clickhouse": "ClickHouse",
}
_SNAPSHOT = _noun("снапшот", "снапшота", "m")
_IP = _noun("IP-адрес", "IP-адреса", "m", subject="IP")
_DISK = _noun("диск", "диска", "m")
# Keys are resource_type values with "-" normalised to "_" (InfraZen mixes both, contract §2).
TYPE_NOUNS: dict[str, TypeNoun] = {
    "server": _noun("сервер", "сервера", "m"),
    "vm": _noun("виртуальная машина", "виртуальной машины", "f", accusative="виртуальную машину"),
    "snapshot": _SNAPSHOT,
    "snapshots": _SNAPSHOT,
    "disk_snapshot": _SNAPSHOT,
    "volume_snapshot": _SNAPSHOT,
    "reserved_ip": _IP,
    "static_ip": _IP,
    "elastic_ip": _IP,
    "floating_ip": _IP,
    "ip": _IP,
    "volume": _DISK,
    "disk": _DISK,
    "image": _noun("образ", "образа", "m"),
    "load_balancer": _noun("балансировщик нагрузки", "балансировщика нагрузки", "m"),
    "container_registry": _noun("реестр контейнеров", "реестра контейнеров", "m"),
    "dns_zone": _noun("DNS-зона", "DNS-зоны", "f", accusative="DNS-зону"),
    "database": _noun("база данных", "базы данных", "f", accusative="базу данных"),
    "message_queue": _noun("очередь сообщений", "очереди сообщений", "f"),
    "kubernetes_nodegroup": _noun(
        "группа узлов Kubernetes",
        "группы узлов Kubernetes",
        "f",
        accusative="группу узлов Kubernetes",
    ),
    "s3_bucket": _noun("бакет S3", "бакета S3", "m"),
    "file_storage": _noun("файловое хранилище", "файлового хранилища", "n"),
    "storage": _noun("хранилище", "хранилища", "n"),
    "backup": _noun("резервная копия", "резервной копии", "f", accusative="резервную копию"),
    "domain": _noun("домен", "домена", "m"),
    "email": _noun("почтовый сервис", "почтового сервиса", "m"),
    "cloud_service": _noun("облачный сервис", "облачного сервиса", "m"),
    "network": _noun("сеть", "сети", "f"),
    **{f"{key}_cluster": cluster_noun(product) for key, product in CLUSTER_PRODUCTS.items()},
}


def type_noun(resource_type: str | None) -> TypeNoun:
    key = (resource_type or "").strip().lower().replace("-", "_")
    return TYPE_NOUNS.get(key, RESOURCE_NOUN)
