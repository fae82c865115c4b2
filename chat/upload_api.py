"""`POST /v1/upload` (the product description's upload): a screenshot as multipart `file` or as
JSON `{"image": "<base64 or data: URL>", "filename": "..."}`, always with the chat token
(`Authorization: Bearer`), validated and re-encoded exactly as `/v1/chat/upload`; the answer
adds the handle the chat accepts in a message (`[image:<id>]`)."""

from __future__ import annotations

import base64
import binascii

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import status
from rest_framework.parsers import MultiPartParser

from chat import images
from chat.apis import ChatImageUploadApi, bearer_token, detail_response
from chat.auth import (
    CLOSE_UNAUTHORIZED,
    REASON_TOKEN_REQUIRED,
    ChatAuthError,
    chat_token_user,
    token_decode,
)
from ops.parsers import SafeJSONParser

BASE64_REFUSED = "Field 'image' must be base64 (or a data: URL) of one image"


class UploadApi(ChatImageUploadApi):
    parser_classes = [MultiPartParser, SafeJSONParser]

    def uploader_id(self, request) -> int:
        token = bearer_token(request)
        if not token:
            raise ChatAuthError(CLOSE_UNAUTHORIZED, REASON_TOKEN_REQUIRED)
        return chat_token_user(claims=token_decode(token=token)).pk

    def body_max_bytes(self) -> int:
        # Base64 takes 4 bytes for every 3.
        return images.upload_max_bytes() * 4 // 3 + 64 * 1024

    def upload_file(self, request):
        if request.content_type.startswith("multipart/"):
            return super().upload_file(request)
        try:
            data = request.data
        except Exception:  # noqa: BLE001 - DRF's parse errors: the body is not JSON
            data = None
        if not isinstance(data, dict) or "image" not in data:
            return None
        encoded = data["image"]
        if not isinstance(encoded, str):
            return detail_response(BASE64_REFUSED, status.HTTP_400_BAD_REQUEST)
        if encoded.startswith("data:"):
            encoded = encoded.partition(",")[2]
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return detail_response(BASE64_REFUSED, status.HTTP_400_BAD_REQUEST)
        name = data.get("filename") if isinstance(data.get("filename"), str) else "image"
        return SimpleUploadedFile(name[:200], raw)

    def answer(self, image, upload) -> dict:
        return {**super().answer(image, upload), "handle": f"[image:{image.pk}]"}
