"""generate_step_plan: an ordered, checkable plan for carrying out one recommendation.

The plans are fixed per action (see estimate_migration_effort.recommendation_action): every
destructive step is preceded by a safety step (a snapshot before deleting a server, a
dependency check before deleting a snapshot or releasing an IP, a DNS TTL cut before a
migration), and every plan ends with a check or a rollback.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser
from recommendations_ai.facts import facts_build
from tools.base import ArgsModel, recommendation_for
from tools.estimate_migration_effort import Action, is_heavy, recommendation_action

NAME = "generate_step_plan"
LABEL = "Составляю план действий"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

Risk = Literal["low", "medium", "high"]

# action → [(code, title, risk, check)]; the code names the step for readers of other languages
# (chat.offline answers in English by it), the Russian texts are what the model and users see.
PLANS: dict[str, list[tuple[str, str, Risk, str]]] = {
    "delete_snapshot": [
        ("snapshot_dependents", "Убедиться, что от снимка не зависят образы и диски", "medium",
         "Ни один образ или диск не создан из этого снимка"),
        ("snapshot_export", "При необходимости выгрузить снимок в объектное хранилище", "low",
         "Копия доступна и её размер совпадает"),
        ("snapshot_delete", "Удалить снимок", "medium",
         "Снимок исчез из списка, списания прекратились"),
    ],
    "release_ip": [
        ("ip_unattached", "Проверить, что адрес ни к чему не привязан", "medium",
         "Адрес не назначен ни ВМ, ни балансировщику"),
        ("ip_references", "Проверить DNS-записи и правила доступа с этим адресом", "medium",
         "Ни одна A-запись и ни одно правило не ссылаются на адрес"),
        ("ip_release", "Освободить адрес", "low", "Адрес исчез из списка, списания прекратились"),
    ],
    "delete_volume": [
        ("volume_unattached", "Убедиться, что диск не подключён и не нужен", "medium",
         "Диск не подключён ни к одной ВМ, владелец подтвердил"),
        ("volume_snapshot", "Сделать снимок диска перед удалением", "low",
         "Снимок в статусе READY"),
        ("volume_delete", "Удалить диск", "high", "Диск исчез из списка, списания прекратились"),
    ],
    "delete_resource": [
        ("resource_owner", "Подтвердить у владельца, что ресурс не нужен", "medium",
         "Есть подтверждение владельца"),
        ("resource_backup", "Сохранить резервную копию данных, если они есть", "low",
         "Копия проверена"),
        ("resource_delete", "Удалить ресурс", "high",
         "Ресурс исчез из списка, списания прекратились"),
    ],
    "delete_server": [
        ("server_snapshot", "Сделать снимок дисков сервера", "low", "Снимок в статусе READY"),
        ("server_owner", "Подтвердить у владельца, что сервер не нужен", "medium",
         "Есть подтверждение владельца"),
        ("server_delete", "Удалить сервер вместе с дисками", "high",
         "Сервер и диски исчезли, списания прекратились"),
        ("server_snapshot_cleanup", "Через месяц удалить снимок, если он не понадобился", "low",
         "Снимок удалён"),
    ],
    "resize": [
        ("resize_peak_load", "Проверить пиковую загрузку (p95 CPU и памяти) за 30 дней", "low",
         "p95 с запасом помещается в новую конфигурацию"),
        ("resize_snapshot", "Сделать снимок дисков", "low", "Снимок в статусе READY"),
        ("resize_change", "Изменить конфигурацию в окно работ", "medium",
         "Сервер запущен, сервисы отвечают"),
        ("resize_watch", "Наблюдать загрузку неделю", "low", "Нет роста задержек и ошибок"),
        ("resize_rollback", "План отката: вернуть прежнюю конфигурацию", "low",
         "Процедура отката описана"),
    ],
    "migrate": [
        ("migrate_target", "Создать целевой ресурс у нового провайдера", "low",
         "Ресурс создан, доступ есть"),
        ("migrate_data", "Перенести или реплицировать данные", "medium",
         "Объём и контрольные суммы совпадают"),
        ("migrate_dns_ttl", "Заранее снизить TTL DNS-записей (например, до 300 с)", "low",
         "Новый TTL виден в ответах DNS"),
        ("migrate_switch", "Переключить трафик на новый ресурс", "high",
         "Сервис отвечает с нового адреса"),
        ("migrate_verify", "Проверить работу и метрики", "medium", "Ошибок и деградации нет сутки"),
        ("migrate_rollback", "План отката: вернуть DNS на старый ресурс", "medium",
         "Старый ресурс не удалён"),
        ("migrate_cleanup", "Удалить старый ресурс после периода наблюдения", "high",
         "Списания у старого провайдера прекратились"),
    ],
    "schedule_shutdown": [
        ("shutdown_hours", "Согласовать часы работы стенда с командой", "low",
         "Расписание утверждено"),
        ("shutdown_automate", "Настроить автоматическое выключение и включение", "medium",
         "Стенд выключился и включился по расписанию"),
        ("shutdown_verify", "Проверить экономию в следующем месяце", "low", "Расход снизился"),
    ],
    "commit": [
        ("commit_steady_load", "Проверить стабильность нагрузки за 90 дней", "low",
         "Ресурс работает без перерывов"),
        ("commit_buy", "Оформить резерв у провайдера", "medium", "Резерв активен"),
        ("commit_verify", "Сверить первый счёт после резерва", "low", "Цена снизилась"),
    ],
    "review": [
        ("review_owner", "Изучить рекомендацию вместе с владельцем ресурса", "low",
         "Решение принято"),
        ("review_change", "Выполнить изменение в окно работ", "medium", "Сервис работает"),
        ("review_verify", "Проверить расход в следующем месяце", "low", "Расход снизился"),
    ],
}  # fmt: skip
HEAVY_MIGRATION_STEP = (
    "migrate_compatibility",
    "Проверить совместимость версий и параметров СУБД или кластера у нового провайдера",
    "medium",
    "Версия и настройки поддерживаются",
)


class Args(ArgsModel):
    """An ordered step-by-step plan for carrying out one recommendation of the current user,
    each step with a risk flag (low/medium/high) and the check that confirms it worked."""

    recommendation_id: int = Field(ge=1, description="Id of the recommendation.")


class Step(BaseModel):
    order: int
    # Not serialised: the model reads the Russian title and check.
    code: str | None = Field(default=None, exclude=True)
    title: str
    risk: Risk
    check: str


class Result(BaseModel):
    recommendation_id: int
    resource_name: str | None
    action: Action
    steps: list[Step]
    truncated: bool = False

    def summary(self) -> str:
        return f"План из {len(self.steps)} шагов"


def run(*, user: InfraZenUser, args: Args) -> Result:
    rec = recommendation_for(user, args.recommendation_id)
    facts = facts_build(recommendation=rec)
    action = recommendation_action(facts)
    plan = list(PLANS[action])
    if action == "migrate" and is_heavy(facts.resource_type):
        plan.insert(0, HEAVY_MIGRATION_STEP)
    return Result(
        recommendation_id=rec.pk,
        resource_name=facts.resource_name,
        action=action,
        steps=[
            Step(order=index, code=code, title=title, risk=risk, check=check)
            for index, (code, title, risk, check) in enumerate(plan, start=1)
        ],
    )
