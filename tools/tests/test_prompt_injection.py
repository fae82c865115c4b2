"""A resource named like an instruction is data: it changes nothing about scoping."""

from __future__ import annotations

import json

from demo_data.personas import INJECTION_NAME
from infrazen.models import OptimizationRecommendation, Resource
from tools.registry import TOOLS, tool_run
from tools.tests.test_registry_contract import example_arguments


def everything_bob_sees(world) -> list[str]:
    results = []
    for name in sorted(TOOLS):
        for arguments in example_arguments(name, world.bob):
            result = tool_run(user=world.bob, name=name, arguments_json=json.dumps(arguments))
            results.append(result.model_dump_json())
    return results


def test_the_injected_name_is_only_a_field_value_in_alices_results(world):
    resource = Resource.objects.get(provider__user=world.alice, resource_name=INJECTION_NAME)
    rec = OptimizationRecommendation.objects.get(resource=resource)
    found = tool_run(
        user=world.alice,
        name="get_recommendation",
        arguments_json=json.dumps({"recommendation_id": rec.pk}),
    )
    assert found.resource_name == INJECTION_NAME
    assert found.family == "stopped"
    details = tool_run(
        user=world.alice,
        name="get_resource",
        arguments_json=json.dumps({"resource_id": resource.pk}),
    )
    assert details.name == INJECTION_NAME
    assert details.connection_name == "Yandex Cloud Prod"


def test_bob_never_sees_it_and_his_results_are_the_same_with_or_without_it(world):
    with_injection = everything_bob_sees(world)
    assert not any(INJECTION_NAME in text for text in with_injection)
    Resource.objects.filter(resource_name=INJECTION_NAME).update(resource_name="plain-name")
    OptimizationRecommendation.objects.filter(resource_name=INJECTION_NAME).update(
        resource_name="plain-name"
    )
    assert everything_bob_sees(world) == with_injection


def test_a_tenant_who_names_his_own_resource_like_an_instruction_still_sees_only_his_rows(world):
    Resource.objects.filter(provider__user=world.bob, resource_name="bob-web-1").update(
        resource_name=INJECTION_NAME
    )
    overview = tool_run(user=world.bob, name="get_analytics_overview", arguments_json="{}")
    assert (
        overview.active_resources
        == Resource.objects.filter(provider__user=world.bob, is_active=True).count()
    )
    services = tool_run(
        user=world.bob, name="get_service_breakdown", arguments_json='{"top_n": 10}'
    )
    names = {r.name for s in services.services for r in s.top_resources}
    assert names <= set(
        Resource.objects.filter(provider__user=world.bob).values_list("resource_name", flat=True)
    )
