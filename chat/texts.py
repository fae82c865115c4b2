"""Every Russian string the chat shows its users, in one place (the offline answers' wording
is chat.offline.wording's). Codes and frames stay where they are built; this module holds
text only, so a wording change is a one-file diff."""

from __future__ import annotations

from ru_format import plural

# --- the socket's `system` frame ---------------------------------------------------------
SCENARIO_NAMES = {"recommendation": "по рекомендации", "analytics": "по аналитике"}


def system_text(*, scenario: str, loaded: int) -> str:
    return (
        f"Сессия чата {SCENARIO_NAMES.get(scenario, scenario)} начата; "
        f"загружено {loaded} {plural(loaded, 'сообщение', 'сообщения', 'сообщений')}."
    )


# --- a question that is not answered -----------------------------------------------------
BUSY_TEXT = "Предыдущий ответ ещё не готов: дождитесь его или остановите."
FORBIDDEN_TEXT = (
    "Доступ к этому чату закрыт: учётная запись отключена или рекомендация больше не ваша. "
    "Вопрос не отправлен."
)
NOT_STORED_TEXT = "Сообщение не сохранено. Попробуйте отправить его ещё раз."
# A question that arrives while this process shuts down (its socket is about to close).
RESTART_REFUSED_TEXT = "Сервис перезапускается. Через минуту задайте вопрос ещё раз."

# --- an answer that failed ---------------------------------------------------------------
MODEL_ERROR_TEXT = "Языковая модель не ответила. Попробуйте задать вопрос ещё раз."
TIMEOUT_TEXT = "Модель отвечала слишком долго, ответ прерван. Попробуйте ещё раз."
INTERNAL_ERROR_TEXT = "Не удалось подготовить ответ. Попробуйте ещё раз."
RESTART_TEXT = "Сервис перезапускается, ответ прерван. Через минуту задайте вопрос ещё раз."
# Said when the model still wants tools after the last round and gives no text of its own.
ROUND_LIMIT_TEXT = (
    "Я обратился к данным {rounds} раз, но так и не собрал ответ. "
    "Сформулируйте вопрос точнее, например: «сколько я сэкономлю в месяц?» "
    "или «какие есть альтернативы?»."
)
# A tool the user's role may not run (an action tool for a demo user), as the model is told.
TOOL_NOT_PERMITTED_TEXT = "Это действие недоступно для вашей учётной записи."
# The label of a tool call whose tool has none of its own.
TOOL_LABEL_DEFAULT = "Смотрю данные"

# Appended to a partial answer that is stored when the user stopped it or it failed midway.
STOPPED_MARKER = "\n\n[ответ остановлен]"
FAILED_MARKER = "\n\n[ответ прерван из-за ошибки]"
RESTART_MARKER = "\n\n[ответ прерван: сервис перезапускался]"
# Stored after the refusal's own text for a question a limit kept from the model (issue 20).
QUOTA_MARKER = "\n\n[вопрос остался без ответа: исчерпан лимит]"
TRUNCATION_SUFFIX = "…[обрезано]"

# --- frames the socket cannot take -------------------------------------------------------
CLIENT_ID_INVALID_TEXT = "client_id должен быть строкой."
AFTER_INVALID_TEXT = "after должен быть номером сообщения: целым числом от 0."
FRAME_EMPTY_TEXT = "Пустой кадр."
FRAME_TOO_LONG_TEXT = "Сообщение слишком длинное."
FRAME_NOT_UTF8_TEXT = "Кадр должен быть JSON в UTF-8."
FRAME_NOT_OBJECT_TEXT = "Кадр должен быть JSON-объектом."
FRAME_KIND_UNKNOWN_TEXT = "Неизвестный тип кадра."
MESSAGE_EMPTY_TEXT = "Пустое сообщение."
CONTENT_NOT_TEXT = "content должен быть строкой."
CONTENT_TOO_LONG_TEXT = "Сообщение длиннее {limit} символов: сократите его."


def rate_limited_text(*, seconds: int) -> str:
    unit = plural(seconds, "секунду", "секунды", "секунд")
    return (
        f"Слишком много запросов подряд: последний не выполнен. Повторите через {seconds} {unit}."
    )


# --- HTTP ----------------------------------------------------------------------------------
HTTP_NOT_FOUND_TEXT = "Такого адреса нет"
METHOD_GET_ONLY_TEXT = "Метод не поддерживается: используйте GET"
