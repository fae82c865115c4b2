"""REST side of the chat: POST /v1/chat/start (product description §9).

The caller holds a chat token minted by InfraZen (facts §3.3), sent as `Authorization: Bearer`
(or `token` in the body). The session is the one the token's scope maps to (facts §3.10):
created, or the active one reused. The browser then connects to /v1/chat/ws?session=<id>.
"""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.auth import (
    SCENARIO_RECOMMENDATION,
    SCENARIOS,
    ChatAuthError,
    chat_connection_authorize,
    token_decode,
)
from chat.services import chat_session_open

HTTP_STATUS_FOR_CLOSE = {4401: 401, 4403: 403, 4404: 404}


class ChatStartApi(APIView):
    class InputSerializer(serializers.Serializer):
        scope = serializers.ChoiceField(choices=SCENARIOS, required=False)
        recommendation_id = serializers.IntegerField(
            required=False, min_value=1, max_value=2**31 - 1
        )
        token = serializers.CharField(required=False, max_length=8192, trim_whitespace=True)

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else values.get("token", "")
        try:
            claims = token_decode(token=token)
            scope = values.get("scope", claims.scenario)
            recommendation_id = values.get("recommendation_id", claims.recommendation_id)
            principal = chat_connection_authorize(
                token=token,
                endpoint_scenario=scope,
                url_recommendation_id=recommendation_id
                if scope == SCENARIO_RECOMMENDATION
                else None,
            )
        except ChatAuthError as refused:
            return Response(
                {"error": refused.reason, "code": refused.close_code},
                status=HTTP_STATUS_FOR_CLOSE[refused.close_code],
            )
        session, created = chat_session_open(principal=principal)
        return Response(
            {
                "session_id": session.pk,
                "status": "created" if created else "reused",
                "scope": session.scenario,
                "recommendation_id": session.recommendation_id,
                "context": principal.context,
                "created_at": session.created_at.isoformat(),
                "message_count": session.message_count,
                "ws_url": f"/v1/chat/ws?session={session.pk}",
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
