"""REST side of the chat: POST /v1/chat/start (product description §9), the screenshot
upload the InfraZen browser client uses (contract §4.2; the rules live in chat.images),
and the open-socket count InfraZen's agent answered on GET /v1/chat/connections (contract §4.2).

The caller holds a chat token minted by InfraZen (contract §4.2), sent as `Authorization: Bearer`
(or `token` in the body). The session is the one the token's scope maps to (contract §4.2):
created, or the active one reused. The browser then connects to /v1/chat/ws?session=<id>.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.utils.cache import patch_vary_headers
from django.views import View
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import frames, images, texts
from chat.auth import (
    CLOSE_UNAUTHORIZED,
    REASON_TOKEN_REQUIRED,
    SCENARIO_RECOMMENDATION,
    SCENARIOS,
    ChatAuthError,
    chat_claims_authorize,
    chat_token_user,
    origin_allowed,
    token_decode,
)
from chat.fanout import SESSIONS
from chat.services import chat_session_open
from chat.visitors import visitor_key
from core import metrics
from ops.client_ip import client_ip
from ops.errors import error_body, error_response

logger = logging.getLogger(__name__)

HTTP_STATUS_FOR_CLOSE = {4401: 401, 4403: 403, 4404: 404}
CODE_FOR_STATUS = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "too_large",
    422: "file_required",
}
# What Django's multipart parser raises for a body past its limits (SuspiciousOperation, not
# a parse error: DRF let them through to the 500 handler).
_MULTIPART_LIMITS = (TooManyFilesSent, TooManyFieldsSent, RequestDataTooBig)


class _BrowserCorsMixin:
    """The InfraZen page, on another origin than the agent, reads these answers with fetch():
    the allowed origins (as for the WebSocket) get CORS headers, any other gets none and its
    browser keeps the answer from the page."""

    cors_methods = "OPTIONS"

    def options(self, request, *args, **kwargs):
        return Response(status=status.HTTP_204_NO_CONTENT)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        if origin and origin_allowed(origin):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = self.cors_methods
            response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response["Access-Control-Max-Age"] = "600"
        patch_vary_headers(response, ("Origin",))
        return response


class ChatStartApi(_BrowserCorsMixin, APIView):
    cors_methods = "POST, OPTIONS"

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
        token = bearer_token(request) or values.get("token", "")
        try:
            claims = token_decode(token=token)
            scope = values.get("scope", claims.scenario)
            recommendation_id = values.get("recommendation_id", claims.recommendation_id)
            principal = chat_claims_authorize(
                claims=claims,
                endpoint_scenario=scope,
                url_recommendation_id=recommendation_id
                if scope == SCENARIO_RECOMMENDATION
                else None,
                visitor=visitor_key(query={}, cookie_header=request.headers.get("Cookie", ""))[0],
            )
        except ChatAuthError as refused:
            status_code = HTTP_STATUS_FOR_CLOSE[refused.close_code]
            body = error_body(refused.reason, CODE_FOR_STATUS[status_code])
            # Kept from before: the close code a socket would have got.
            body["close_code"] = refused.close_code
            return Response(body, status=status_code)
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


# --- Screenshots: POST /v1/chat/upload, GET /v1/chat/image/<id> ---------------------------------
# Errors are the service's shape, whose `detail` the InfraZen client shows (the old agent's).


def bearer_token(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _image_user_id(request) -> int | None:
    """The chat token's active user; None for an anonymous caller when that is allowed."""
    token = bearer_token(request)
    if not token:
        if settings.CHAT_UPLOAD_ANONYMOUS:
            return None
        raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_REQUIRED)
    # A bad token is refused, never downgraded to an anonymous upload.
    return chat_token_user(claims=token_decode(token=token)).pk


def detail_response(
    detail: str, status_code: int, *, code: str | None = None, **headers: str
) -> Response:
    body = error_body(detail, code or CODE_FOR_STATUS.get(status_code, "invalid"))
    return Response(body, status=status_code, headers=headers or None)


def _refusal(refused: ChatAuthError) -> Response:
    return detail_response(refused.reason, HTTP_STATUS_FOR_CLOSE[refused.close_code])


class ChatImageUploadApi(_BrowserCorsMixin, APIView):
    parser_classes = [MultiPartParser]
    cors_methods = "POST, OPTIONS"

    def post(self, request):
        response = self._upload(request)
        if response.status_code >= 400:
            # The refusal's machine code: a small fixed set (core.metrics has no free text).
            metrics.upload_rejections.labels(response.data.get("code", "invalid")).inc()
        return response

    def _upload(self, request):
        try:
            user_id = self.uploader_id(request)
        except ChatAuthError as refused:
            return _refusal(refused)
        # The body is already spooled by the server; refuse to parse one far over the limit.
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > self.body_max_bytes():
            return detail_response(images.detail_too_large(), status.HTTP_400_BAD_REQUEST)
        upload = self.upload_file(request)
        if isinstance(upload, Response):
            return upload
        if upload is None:
            return detail_response(
                "Field required: send the image as multipart/form-data field 'file'",
                status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        try:
            image = images.chat_image_upload(
                file=upload, size=upload.size, user_id=user_id, uploader_ip=client_ip(request)
            )
        except images.ImageRejected as rejected:
            retry = {"Retry-After": str(rejected.retry_after_s)}
            headers = retry if rejected.status in (429, 503) else {}
            return detail_response(rejected.detail, rejected.status, code=rejected.code, **headers)
        return Response(self.answer(image, upload))

    def uploader_id(self, request) -> int | None:
        return _image_user_id(request)

    def body_max_bytes(self) -> int:
        return images.upload_max_bytes() + 64 * 1024

    def upload_file(self, request):
        """The uploaded file, None when there is none, or a refusal Response."""
        try:
            return request.FILES.get("file")
        except (ParseError, UnsupportedMediaType):
            return None
        except _MULTIPART_LIMITS as refused:
            logger.warning("chat image upload refused: %s", type(refused).__name__)
            return detail_response(
                "Too many parts in the upload: send one multipart/form-data field 'file'",
                status.HTTP_400_BAD_REQUEST,
            )

    def answer(self, image, upload) -> dict:
        return {
            "image_id": str(image.pk),
            "filename": upload.name,
            "size": image.size,
            "expires_in": settings.CHAT_IMAGE_TTL_S,
        }


class ChatImageStatusApi(_BrowserCorsMixin, APIView):
    cors_methods = "GET, OPTIONS"

    def get(self, request, image_id: str):
        try:
            user_id = _image_user_id(request)
        except ChatAuthError as refused:
            return _refusal(refused)
        parsed = images.image_id_parse(image_id)
        if parsed is None:
            return detail_response("Invalid image id", status.HTTP_400_BAD_REQUEST)
        image = images.chat_image_status_get(image_id=parsed, user_id=user_id)
        if image is None:
            return Response({"exists": False})
        age = images.image_age_seconds(image=image)
        return Response(
            {
                "exists": True,
                "size": image.size,
                "age_seconds": age,
                "expires_in": max(0, settings.CHAT_IMAGE_TTL_S - age),
            }
        )


class ChatConnectionsApi(View):
    """`{"active_connections": <int>, "timestamp": "<naive UTC ISO>"}`, without
    authentication, as InfraZen's agent answered it (a number, no user or session).

    The count is of this worker process's open chat sockets: with several workers
    (scripts/serve.py), each answers for itself and the caller reaches whichever one the
    kernel hands the connection to. The old agent was one process, so its number was the
    service's. Async, so the consumers' registry is read on the event loop that changes it,
    never from a thread mid-change.
    """

    http_method_names = ["get", "head"]

    async def get(self, request):
        return JsonResponse(
            {"active_connections": SESSIONS.count(), "timestamp": frames.timestamp()}
        )

    async def http_method_not_allowed(self, request, *args, **kwargs):
        return error_response(
            texts.METHOD_GET_ONLY_TEXT,
            "method_not_allowed",
            405,
            headers={"Allow": "GET, HEAD"},
        )
