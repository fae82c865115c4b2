from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from chat.auth import SCENARIO_ANALYTICS, SCENARIO_RECOMMENDATION, chat_token_mint
from infrazen.models import InfraZenUser
from infrazen.selectors import NotFound, recommendation_get


class Command(BaseCommand):
    help = (
        "Print a chat token and WebSocket path for a user (demos and support; in production "
        "the InfraZen app mints tokens). Signed with AGENT_SERVICE_JWT_SECRET."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the InfraZen user's email")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--recommendation", type=int, help="a recommendation id of theirs")
        scope.add_argument("--analytics", type=int, metavar="DAYS", help="analytics time range")
        parser.add_argument("--hours", type=int, default=1, help="lifetime (default 1)")

    def handle(self, *args, **options):
        user = InfraZenUser.objects.filter(email=options["email"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user with email {options['email']}")
        if options["hours"] < 1:
            raise CommandError("--hours must be at least 1")
        lifetime_s = options["hours"] * 3600
        if options["recommendation"] is not None:
            try:
                recommendation_get(user_id=user.pk, recommendation_id=options["recommendation"])
            except NotFound:
                raise CommandError("no such recommendation for this user") from None
            token = chat_token_mint(
                user_id=user.pk,
                scenario=SCENARIO_RECOMMENDATION,
                recommendation_id=options["recommendation"],
                lifetime_s=lifetime_s,
            )
            path = f"/v1/chat/rec/{options['recommendation']}"
        else:
            token = chat_token_mint(
                user_id=user.pk,
                scenario=SCENARIO_ANALYTICS,
                context={"time_range_days": options["analytics"]},
                lifetime_s=lifetime_s,
            )
            path = "/v1/chat/analytics"
        self.stdout.write(f"{path}?token={token}")
