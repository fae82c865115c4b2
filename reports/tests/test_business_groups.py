"""The Product report's cost per business group, from InfraZen's boards, scoped to the user."""

from __future__ import annotations

import pytest

from infrazen.models import BoardGroup, BusinessBoard
from reports.snapshot import NO_BUSINESS_GROUPS, snapshot_build

pytestmark = pytest.mark.django_db


def board(user, name: str, groups: dict[str, float], *, default: bool = False) -> BusinessBoard:
    created = BusinessBoard.objects.create(user=user, name=name, is_default=default)
    for index, (group, daily) in enumerate(groups.items()):
        BoardGroup.objects.create(
            board=created,
            name=group,
            fabric_id=f"g{index}",
            position_x=0,
            position_y=0,
            width=100,
            height=100,
            calculated_cost=daily,
        )
    return created


def test_the_product_report_shows_monthly_cost_per_business_group(tenant):
    board(tenant, "Продукты", {"Магазин": 100.0, "Аналитика": 40.0}, default=True)
    snapshot = snapshot_build(user_id=tenant.pk, role="product")
    rows = [(g.name, snapshot.facts[g.monthly].value) for g in snapshot.by_business]
    assert rows == [("Магазин", 3000.0), ("Аналитика", 1200.0)]
    assert snapshot.facts[snapshot.by_business[0].monthly].period == "month"
    assert NO_BUSINESS_GROUPS not in snapshot.notes


def test_groups_of_several_boards_carry_their_boards_name(tenant):
    board(tenant, "Клиенты", {"ООО Ромашка": 10.0}, default=True)
    board(tenant, "Команды", {"Платформа": 20.0})
    names = [g.name for g in snapshot_build(user_id=tenant.pk, role="product").by_business]
    assert names == ["Клиенты: ООО Ромашка", "Команды: Платформа"]


def test_without_groups_the_report_says_it_cannot_show_them(tenant):
    snapshot = snapshot_build(user_id=tenant.pk, role="product")
    assert snapshot.by_business == [] and NO_BUSINESS_GROUPS in snapshot.notes


def test_bob_never_sees_alices_groups(tenant, bob):
    board(tenant, "Продукты", {"Секретный проект": 100.0}, default=True)
    snapshot = snapshot_build(user_id=bob.pk, role="product")
    assert snapshot.by_business == [] and "Секретный" not in snapshot.model_dump_json()


def test_other_roles_do_not_read_business_groups(tenant):
    board(tenant, "Продукты", {"Магазин": 100.0}, default=True)
    assert snapshot_build(user_id=tenant.pk, role="cfo").by_business == []
