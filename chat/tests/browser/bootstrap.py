"""Prepare a live agent's database; print the ids the browser tests use (one JSON line).

Run by `live.py` with the live agent's environment: `python -m chat.tests.browser.bootstrap`.
The same steps as `make demo`: migrate, the InfraZen schema, the demo data, a superuser.
"""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
    django.setup()
    from django.core.management import call_command

    from demo_data.personas import ALICE_EMAIL, BOB_EMAIL, DEMO_EMAIL
    from infrazen.models import InfraZenUser, OptimizationRecommendation

    call_command("agent_migrate", verbosity=0)
    call_command("infrazen_schema", verbosity=0)
    call_command("seed_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    staff = get_user_model()
    if not staff.objects.filter(username=os.environ["BROWSER_ADMIN_USERNAME"]).exists():
        staff.objects.create_superuser(
            username=os.environ["BROWSER_ADMIN_USERNAME"],
            email="admin@localhost",
            password=os.environ["BROWSER_ADMIN_PASSWORD"],
        )
    personas = InfraZenUser.objects.filter(email__in=[ALICE_EMAIL, BOB_EMAIL, DEMO_EMAIL])
    users = {user.email: user.pk for user in personas}

    def recommendations(user_id: int) -> list[int]:
        owned = OptimizationRecommendation.objects.filter(provider__user_id=user_id)
        return list(owned.order_by("pk").values_list("pk", flat=True))

    print(
        json.dumps(
            {
                "alice": users[ALICE_EMAIL],
                "bob": users[BOB_EMAIL],
                "demo": users[DEMO_EMAIL],
                "alice_recommendations": recommendations(users[ALICE_EMAIL]),
                "bob_recommendations": recommendations(users[BOB_EMAIL]),
            }
        )
    )


if __name__ == "__main__":
    main()
