"""The chat's REST endpoints in the OpenAPI document (ops.openapi). The chat itself is the
WebSocket (/v1/chat/rec/{id}, /v1/chat/analytics; chat/frames.py describes its frames)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ops.openapi import Answer, Endpoint, error

_TOKEN = ("chat_token",)


class ChatStartInput(BaseModel):
    scope: Literal["recommendation", "analytics"] | None = None
    recommendation_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    token: str | None = Field(default=None, max_length=8192, description="or Authorization")


class ChatStartOutput(BaseModel):
    session_id: str
    status: Literal["created", "reused"]
    scope: Literal["recommendation", "analytics"]
    recommendation_id: int | None
    context: dict[str, Any] | None
    created_at: str
    message_count: int
    ws_url: str


class ImageUploaded(BaseModel):
    image_id: str
    filename: str
    size: int
    expires_in: int


class ImageHandle(ImageUploaded):
    handle: str = Field(description="[image:<id>]: put it in a chat message")


class ImageBase64(BaseModel):
    image: str = Field(description="base64 of the image, or a data: URL")
    filename: str | None = None


class ImageStatus(BaseModel):
    exists: bool
    size: int | None = None
    age_seconds: int | None = None
    expires_in: int | None = None


class Connections(BaseModel):
    active_connections: int
    timestamp: str


ENDPOINTS = [
    Endpoint(
        path="/v1/chat/start",
        method="post",
        summary="Open (or reuse) the chat session a token's scope maps to",
        tag="chat",
        body=ChatStartInput,
        security=_TOKEN,
        anonymous_allowed=False,
        answers={
            200: Answer("The session, reused", ChatStartOutput),
            201: Answer("The session, created", ChatStartOutput),
            400: error("A field out of range"),
            401: error("No token, or an invalid or expired one"),
            403: error("The token's user may not open this session"),
            404: error("No such recommendation for this user"),
        },
    ),
    Endpoint(
        path="/v1/chat/upload",
        method="post",
        summary="A screenshot for the chat; the message then says [image:<id>]",
        tag="chat",
        body_content_type="multipart/form-data",
        body_schema={
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
            "required": ["file"],
        },
        security=_TOKEN,
        answers={
            200: Answer("Stored, re-encoded; kept for expires_in seconds", ImageUploaded),
            400: error("Not an image the service reads, too large, or a malformed upload"),
            401: error("An invalid token (anonymous uploads only where allowed)"),
            422: error("No field 'file'"),
            429: error("Too many uploads: Retry-After says when to try again"),
            503: error("Storage full for now: Retry-After says when to try again"),
        },
    ),
    Endpoint(
        path="/v1/upload",
        method="post",
        summary="A screenshot as multipart 'file' or JSON base64, with the chat token",
        tag="chat",
        body=ImageBase64,
        security=_TOKEN,
        anonymous_allowed=False,
        answers={
            200: Answer("Stored, re-encoded; its handle for a chat message", ImageHandle),
            400: error("Not base64, not an image the service reads, or too large"),
            401: error("No token, or an invalid or expired one"),
            422: error("No image in the body"),
            429: error("Too many uploads: Retry-After says when to try again"),
            503: error("Storage full for now: Retry-After says when to try again"),
        },
    ),
    Endpoint(
        path="/v1/chat/image/{image_id}",
        method="get",
        summary="Whether an uploaded screenshot is still kept",
        tag="chat",
        parameters=(
            {"name": "image_id", "in": "path", "required": True, "schema": {"type": "string"}},
        ),
        security=_TOKEN,
        answers={
            200: Answer("Its status (exists false for another user's image)", ImageStatus),
            400: error("Not an image id"),
            401: error("An invalid token"),
        },
    ),
    Endpoint(
        path="/v1/chat/connections",
        method="get",
        summary="Open chat sockets of the answering worker (as the old agent answered)",
        tag="chat",
        answers={200: Answer("The count", Connections)},
    ),
]
