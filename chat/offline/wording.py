"""Every word the offline assistant says (chat.offline), in Russian and English.

Wording is data, like a prompt: a change of tone is a change here, not in the code that picks
the figures. Each entry is a (Russian, English) pair; templates take their figures already
formatted ("1,450 ₽/мес"), so a template never decides a unit or a period. Answers are plain
text: **bold** and numbered lists only, no HTML, no headings (the InfraZen browser client
escapes HTML and renders nothing else). The tools' own Russian texts (steps, reasons) are
said in English by chat.offline.tool_wording, keyed by the codes the tools give them.
"""

from __future__ import annotations

OFFLINE_NOTICE_RU = (
    "Ассистент работает без языковой модели: ответы собраны из данных InfraZen по шаблону."
)
OFFLINE_NOTICE_EN = (
    "The assistant is running without a language model: answers are assembled from InfraZen "
    "data by template."
)

Pair = tuple[str, str]

IMAGES_UNREAD = (
    "Скриншот получен, но без языковой модели я не могу его прочитать. Опишите словами, что "
    "на нём, или задайте вопрос о данных InfraZen.",
    "The screenshot arrived, but without a language model I cannot read it. Describe what it "
    "shows in words, or ask about your InfraZen data.",
)

# --- sentences ----------------------------------------------------------------------------------

WORDS: dict[str, Pair] = {
    # no data
    "no_data": (
        "Не удалось получить {topic}: этих данных сейчас нет, поэтому цифр по ним не привожу.",
        "I could not get {topic}: that data is unavailable right now, so I give no figures for it.",
    ),
    "no_recommendation": (
        "Не вижу, о какой рекомендации идёт речь: откройте чат из карточки рекомендации.",
        "I cannot tell which recommendation this is about: open the chat from its card.",
    ),
    # one recommendation
    "rec_lead_titled": (
        "Рекомендация #{id} — {title}, ресурс {subject}.",
        "Recommendation #{id} is {kind} for {subject}.",
    ),
    "rec_lead": (
        "Рекомендация #{id} — {kind}, ресурс {subject}.",
        "Recommendation #{id} is {kind} for {subject}.",
    ),
    "rec_saves": (" Экономия — {savings}.", " It saves {savings}."),
    "costs_now_new": (
        "Сейчас {current}, после изменения — {new}{share}.",
        "Now {current}, after the change {new}{share}.",
    ),
    "costs_now": ("Сейчас это стоит {current}.", "Now it costs {current}."),
    "status": ("статус: {value}", "status: {value}"),
    "severity": ("важность: {value}", "priority: {value}"),
    "confidence": ("уверенность: {value}", "confidence: {value}"),
    "why_target": ("Куда: {target}.", "Target: {target}."),
    "why_nodes": ("кластер из {nodes}", "cluster of {nodes}"),
    "why_cpu": ("Средняя загрузка CPU — {avg}", "Average CPU load is {avg}"),
    "why_cpu_peak": (", в пиках (p95) — {peak}", ", p95 {peak}"),
    "why_cpu_vcpu": (" при {vcpu} vCPU", " on {vcpu} vCPU"),
    "why_stopped": (
        "Сервер остановлен, но за его диски продолжают списывать деньги.",
        "The server is stopped, but its disks are still billed.",
    ),
    "why_ip": (
        "IP-адрес{ip} зарезервирован {age} назад и ни к чему не привязан",
        "The IP address{ip} was reserved {age} ago and is attached to nothing",
    ),
    "why_snapshot": ("Снимку {age}{size}", "The snapshot is {age} old{size}"),
    "why_unused": (
        "Ресурс{size} не используется уже {age}",
        "The resource{size} has been unused for {age}",
    ),
    "why_spent": ("; уже потрачено {spent}", "; already spent: {spent}"),
    "spent_over": ("за это время", "over that time"),
    "size_gb": ("{size} ГБ", "{size} GB"),
    # savings
    "savings_unknown": (
        "Сумма экономии для этой рекомендации в данных InfraZen не указана — назвать её не могу.",
        "InfraZen has no savings amount for this recommendation, so I cannot name one.",
    ),
    "savings_negative": (
        "По расчёту экономии нет: новая стоимость выше на {more}.",
        "By the figures there is no saving: the new cost is higher by {more}.",
    ),
    "savings_quarter": (
        "За квартал экономия составит {quarter}: это {month}, {year}.",
        "Over a quarter you save {quarter}: that is {month}, {year}.",
    ),
    "savings_year": (
        "За год экономия составит {year}, то есть {month}.",
        "Over a year you save {year}, that is {month}.",
    ),
    "savings_month": ("Экономия составит {month}, или {year}.", "You save {month}, or {year}."),
    "savings_month_only": ("Экономия составит {month}.", "You save {month}."),
    "savings_action": (
        "Что нужно сделать: {kind}, ресурс {subject}.",
        "What to do: {kind} for {subject}.",
    ),
    # alternatives
    "alt_none": (
        "Для {subject} сопоставимых предложений у других провайдеров не нашлось.",
        "For {subject} I found no comparable offers at other providers.",
    ),
    "alt_best": (
        "Для {subject} есть {count}; выгоднее всего — {provider} за {price} (экономия {saving}).",
        "For {subject} there are {count}; the best is {provider} at {price} (saves {saving}).",
    ),
    "alt_none_cheaper": (
        "Для {subject} есть {count}, но дешевле текущего нет ни одного.",
        "For {subject} there are {count}, but none is cheaper than now.",
    ),
    "alt_resource": ("ресурса", "the resource"),
    "alt_saves": (", экономия {saving}{share}", ", saves {saving}{share}"),
    "alt_dearer": (", дороже на {more}", ", dearer by {more}"),
    "alt_same": (", та же цена", ", same price"),
    "alt_parity": ("; сходство конфигурации {parity}", "; size match {parity}"),
    "alt_excluded": (
        "Не рассматривались (отключены в настройках): {providers}.",
        "Left out (disabled in your settings): {providers}.",
    ),
    "spec_ram": ("{size} ГБ RAM", "{size} GB RAM"),
    "spec_disk": ("{size} ГБ диска", "{size} GB disk"),
    # effort, risks, plan
    "effort_score": ("**{score} из 5 ({level})**", "**{score} of 5 ({level})**"),
    "effort": (
        "сложность {score}, ожидаемый простой около {downtime}",
        "effort {score}, expected downtime about {downtime}",
    ),
    "effort_no_downtime": (
        "сложность {score}, без простоя",
        "effort {score}, no downtime expected",
    ),
    "risks_lead": ("{effort}; экономия при этом {savings}.", "{effort}; the saving is {savings}."),
    "risks_heading": ("Из чего складывается оценка:", "What drives the score:"),
    "risks_caveat": ("Важно: {text}", "Note: {text}"),
    "risks_saving_only": ("Сама экономия — {savings}.", "The saving itself is {savings}."),
    "plan_lead": ("План{name}: {count}{facts}.", "The plan{name}: {count}{facts}."),
    "plan_for": (" для {name}", " for {name}"),
    "plan_saving": ("экономия {savings}", "saving {savings}"),
    "plan_step": (
        "{title} — риск {risk}; проверка: {check}.",
        "{title} — risk {risk}; check: {check}.",
    ),
    "plan_risky": (
        "Шаги с высоким риском: {steps} — перед ними подготовьте откат.",
        "High-risk steps: {steps} — have the rollback ready before them.",
    ),
    # the resource
    "res_lead": (
        "{name} ({where}) стоит {monthly} ({daily}).",
        "{name} ({where}) costs {monthly} ({daily}).",
    ),
    "res_status": ("статус {status}", "status {status}"),
    "res_config": ("Конфигурация: {specs}.", "Configuration: {specs}."),
    "res_cpu": ("Загрузка CPU: в среднем {avg}", "CPU load: average {avg}"),
    "res_memory": ("Память: в среднем {avg} МБ", "Memory: average {avg} MB"),
    "res_peak": (", максимум {peak}", ", peak {peak}"),
    "res_peak_mb": (", максимум {peak} МБ", ", peak {peak} MB"),
    "res_from_rec": ("Ресурс рекомендации — {subject}", "The resource is {subject}"),
    "res_from_rec_cost": (", стоит {cost}", ", it costs {cost}"),
    "sync_last": ("Последняя синхронизация{when}{status}", "Last sync{when}{status}"),
    "sync_cost_changed": (
        "; стоимость менялась: было {before}, стало {after}",
        "; the cost changed from {before} to {after}",
    ),
    "sync_changed": (
        "; за {last} ресурс менялся, стоимость — нет",
        "; over the {last} the resource changed, its cost did not",
    ),
    "sync_unchanged": ("; за {last} изменений не было", "; no changes over the {last}"),
    "last_sync_one": ("последнюю синхронизацию", "last sync"),
    "last_syncs": ("последние {count}", "last {count}"),
    # connections
    "conn_none": (
        "Подключений к облакам в InfraZen пока нет.",
        "You have no cloud connections in InfraZen yet.",
    ),
    "conn_lead": ("У вас {count}:", "You have {count}:"),
    "conn_active": ("активно", "active"),
    "conn_inactive": ("неактивно", "inactive"),
    "conn_synced": ("последняя синхронизация {when}", "last sync {when}"),
    "conn_never": ("синхронизаций не было", "never synced"),
    "conn_disabled": (
        "Не предлагаются как цель переноса: {providers}.",
        "Not offered as migration targets: {providers}.",
    ),
    # analytics overview
    "ov_no_cost": (
        "Успешных синхронизаций нет, поэтому расходы неизвестны.",
        "There is no successful sync yet, so your costs are unknown.",
    ),
    "ov_lead": (
        "Расход — {monthly} по текущему темпу ({daily}{date}){changes}.",
        "Your run-rate is {monthly} ({daily}{date}){changes}.",
    ),
    "on_date": (" на {date}", " on {date}"),
    "change_over": ("за {period}: {change}", "over {period}: {change}"),
    "change_prev_day": ("к предыдущему дню: {change}", "vs the day before: {change}"),
    "no_change": ("без изменений", "no change"),
    "ov_pending": (
        "В ожидании {count} на {savings} экономии ({yearly}).",
        "{count} pending, worth {savings} ({yearly}).",
    ),
    "ov_no_pending": ("Рекомендаций в ожидании нет.", "No pending recommendations."),
    "ov_sync": ("Последняя синхронизация {when}", "Last sync {when}"),
    "ov_sync_providers": (", провайдеров {ok} из {total}", ", {ok} of {total} providers"),
    "ov_sync_problems": ("; с проблемами: {names}", "; with problems: {names}"),
    # trends
    "tr_no_data": ("Данных о расходах за {period} нет.", "There is no cost data for {period}."),
    "tr_flat": (
        "За {period} расход не изменился: сейчас {now}, это {rate} по текущему темпу.",
        "Over {period} your costs held steady: now {now}, a run-rate of {rate}.",
    ),
    "tr_up": (
        "За {period} дневной расход вырос на {change}: сейчас {now}, это {rate} по текущему темпу.",
        "Over {period} your daily cost rose by {change}: now {now}, a run-rate of {rate}.",
    ),
    "tr_down": (
        "За {period} дневной расход снизился на {change}: сейчас {now}, это {rate} по текущему "
        "темпу.",
        "Over {period} your daily cost fell by {change}: now {now}, a run-rate of {rate}.",
    ),
    "tr_range": (
        "В среднем {avg}; минимум {low}, максимум {high}.",
        "Average {avg}; lowest {low}, highest {high}.",
    ),
    "tr_day_over_day": ("К предыдущему дню: {change}.", "Against the day before: {change}."),
    "tr_buckets": (
        "Точки графика — средние за {period}.",
        "Chart points are averages over {period}.",
    ),
    "tr_partial": (
        "Дней с частичной синхронизацией (учтены не все провайдеры): {days}.",
        "Days with only a partial sync (some providers missing): {days}.",
    ),
    "tr_pending": (
        "Рекомендации в ожидании могут сократить расход на {savings}.",
        "Pending recommendations could cut {savings}.",
    ),
    # anomalies
    "an_no_history": (
        "Истории расходов пока нет: искать аномалии не в чем.",
        "There is no cost history yet, so there is nothing to look for anomalies in.",
    ),
    "an_few": (
        "Для поиска аномалий мало данных: история расходов за {period}, нужно не меньше 7 дней.",
        "Too little data to look for anomalies: {period} of cost history, at least 7 days needed.",
    ),
    "an_none": (
        "За {period}{coverage} аномалий нет: дневной расход держался в обычном диапазоне.",
        "No anomalies over {period}{coverage}: the daily cost stayed within its usual range.",
    ),
    "an_coverage": (" (данные есть за {days})", " (data for {days})"),
    "an_lead": (
        "За {period}{coverage} — {count}; последняя — {kind} {date}: {actual} при обычных "
        "{expected}.",
        "Over {period}{coverage}: {count}; the latest is {kind} on {date}: {actual} against a "
        "usual {expected}.",
    ),
    "an_spike_lead": ("всплеск", "a spike"),
    "an_drop_lead": ("спад", "a drop"),
    "an_spike": ("всплеск", "spike"),
    "an_drop": ("спад", "drop"),
    "an_line": (
        "{when} — {kind}: {actual} при обычных {low}–{high} ({deviation})",
        "{when} — {kind}: {actual} against the usual {low}–{high} ({deviation})",
    ),
    "an_drivers": ("; причина — {names}", "; driven by {names}"),
    "an_excess": ("; перерасход {extra}", "; extra spend {extra}"),
    "an_excess_over": ("за весь всплеск", "over the whole spike"),
    "an_truncated": ("Показаны самые свежие.", "Only the most recent ones are listed."),
    "an_method": ("Метод: {method}", ""),
    # top recommendations
    "top_none": (
        "Рекомендаций в ожидании нет: экономить сейчас не на чем.",
        "There are no pending recommendations: nothing to save on right now.",
    ),
    "top_lead": (
        "Больше всего можно сэкономить на {biggest}. Всего в ожидании {count} на {total} "
        "({yearly}).",
        "The most to save is on {biggest}. In total {count} are pending, worth {total} ({yearly}).",
    ),
    # breakdowns
    "pr_none": (
        "Успешных синхронизаций нет, поэтому расходы по провайдерам неизвестны.",
        "There is no successful sync yet, so costs by provider are unknown.",
    ),
    "pr_lead": (
        "Больше всего уходит на {name}: {monthly}{share} из {total}{date}.",
        "The most goes to {name}: {monthly}{share} of {total}{date}.",
    ),
    "as_of": (" на {date}", " as of {date}"),
    "pr_partial": (
        "Последняя синхронизация частичная: учтены не все провайдеры.",
        "The latest sync was partial: some providers are missing.",
    ),
    "sv_none": (
        "Активных ресурсов нет, поэтому расходов по сервисам тоже нет.",
        "You have no active resources, so there are no costs by service.",
    ),
    "sv_lead": (
        "Дороже всего обходится {name}: {monthly}{share} из {total}.",
        "The most expensive service is {name}: {monthly}{share} of {total}.",
    ),
    "sv_largest": ("; крупнее всего: {items}", "; the largest: {items}"),
    "sv_other": ("Ещё {count}: {cost}.", "Another {count}: {cost}."),
    # help and pointers elsewhere
    "help_lead": (
        "Я отвечаю по данным InfraZen. Можно спросить, например:",
        "I answer from your InfraZen data. You can ask, for example:",
    ),
    "can_ask": ("Можно спросить: {questions}", "You can ask: {questions}"),
    "quoted": ("«{text}»", '"{text}"'),
    "elsewhere_analytics": (
        "Альтернативы, риски и план по отдельной рекомендации — в её собственном чате на "
        "странице рекомендаций; здесь — общая картина.",
        "Alternatives, risks and a plan for a single recommendation are in its own chat on the "
        "recommendations page; here is the overall picture.",
    ),
    "elsewhere_recommendation": (
        "Динамика всех расходов, аномалии и разбивки по провайдерам и сервисам — в чате на "
        "странице аналитики; здесь — данные этой рекомендации.",
        "Overall cost trends, anomalies and breakdowns by provider and service are in the chat "
        "on the analytics page; here is this recommendation's data.",
    ),
}

NEXT_STEPS_NO_DATA: Pair = (
    "Проверьте, что синхронизация с провайдерами прошла, и спросите ещё раз чуть позже.",
    "Check that the provider sync has completed and ask again a little later.",
)

# The suggestion each answer ends with.
NEXT_STEPS: dict[str, Pair] = {
    "explain": (
        "Дальше можно спросить «какие есть альтернативы?» или «как это сделать?».",
        'Next you can ask "what are the alternatives?" or "how do I do it?".',
    ),
    "explain_change": (
        "Дальше можно спросить «какие риски?» или «как это сделать?».",
        'Next you can ask "what are the risks?" or "how do I do it?".',
    ),
    "savings": (
        "Чтобы взвесить экономию против усилий, спросите «какие риски?».",
        'To weigh the savings against the effort, ask "what are the risks?".',
    ),
    "alternatives": (
        "Перед переносом спросите «какие риски?» и «как это сделать?» — оценю сложность и "
        "распишу шаги.",
        'Before moving, ask "what are the risks?" and "how do I do it?" for the effort and the '
        "steps.",
    ),
    "risks": (
        "Спросите «как это сделать по шагам?» — распишу шаги с проверками и откатом.",
        'Ask "how do I do it step by step?" for the steps with checks and a rollback.',
    ),
    "plan": (
        "Начните с шага 1 и отмечайте проверки; шаги с высоким риском делайте в окно работ.",
        "Start with step 1 and tick off the checks; do the high-risk steps in a maintenance "
        "window.",
    ),
    "resource": (
        "Чтобы решить, что с этим делать, спросите «сколько я сэкономлю?» или «какие риски?».",
        'To decide what to do, ask "how much will I save?" or "what are the risks?".',
    ),
    "connections": (
        "Если синхронизация не прошла, проверьте ключи доступа подключения в InfraZen.",
        "If a sync failed, check the connection's access keys in InfraZen.",
    ),
    "overview": (
        "Подробнее: «как менялись расходы?», «были ли аномалии?», «где можно сэкономить?».",
        'More: "how did my costs change?", "were there anomalies?", "where can I save?".',
    ),
    "trends": (
        "Чтобы разобрать всплески, спросите «были ли аномалии?»; разбивка — «расходы по "
        "провайдерам».",
        'To look into spikes, ask "were there anomalies?"; for a split, ask "costs by provider".',
    ),
    "anomalies": (
        "Проверьте в консоли провайдера, что менялось в эти дни; общая динамика — «как "
        "менялись расходы?».",
        "Check the provider's console for what changed on those days; for the overall trend, "
        'ask "how did my costs change?".',
    ),
    "anomalies_none": (
        "Общую динамику покажет вопрос «как менялись расходы?».",
        'For the overall trend, ask "how did my costs change?".',
    ),
    "top": (
        "Откройте рекомендацию из списка: в её чате можно спросить про альтернативы, риски и план.",
        "Open a recommendation from the list: its chat answers about alternatives, risks and "
        "a plan.",
    ),
    "providers": (
        "Чтобы увидеть, на что уходят деньги внутри провайдера, спросите «расходы по сервисам».",
        'To see what the money goes on inside a provider, ask "costs by service".',
    ),
    "services": (
        "Где сократить расходы, подскажет вопрос «где можно сэкономить?».",
        'To find where to cut, ask "where can I save?".',
    ),
}

# What can be asked, per scenario: the help answer and the line under an overview.
HELP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "recommendation": (
        (
            "Что это за рекомендация?",
            "Сколько я сэкономлю в месяц или за год?",
            "Какие есть альтернативы у других провайдеров?",
            "Какие риски и насколько это сложно?",
            "Как это сделать по шагам?",
            "Какая загрузка и конфигурация у ресурса?",
        ),
        (
            "What is this recommendation?",
            "How much will I save per month or per year?",
            "What are the alternatives at other providers?",
            "What are the risks and how hard is it?",
            "How do I do it, step by step?",
            "What are the resource's load and configuration?",
        ),
    ),
    "analytics": (
        (
            "Какие у меня ключевые показатели?",
            "Как менялись расходы за месяц?",
            "Были ли аномалии и всплески расходов?",
            "Где можно сэкономить больше всего?",
            "Какие расходы по провайдерам?",
            "Какие расходы по сервисам?",
        ),
        (
            "What are my key figures?",
            "How did my costs change over the month?",
            "Were there any anomalies or spikes?",
            "Where can I save the most?",
            "What are my costs by provider?",
            "What are my costs by service?",
        ),
    ),
}

# What a failed tool's data is called in the "no data" sentence.
TOOL_TOPICS: dict[str, Pair] = {
    "get_recommendation": ("данные рекомендации", "the recommendation's data"),
    "calculate_savings": ("расчёт экономии", "the savings calculation"),
    "list_top_alternatives": ("список альтернатив", "the list of alternatives"),
    "estimate_migration_effort": ("оценку сложности", "the effort estimate"),
    "generate_step_plan": ("план действий", "the step plan"),
    "get_resource": ("данные ресурса", "the resource's data"),
    "get_latest_snapshot": ("историю синхронизаций ресурса", "the resource's sync history"),
    "get_prices_for_skus": ("цены каталога", "the catalogue prices"),
    "get_user_context": ("данные о подключениях", "your connections"),
    "get_analytics_overview": ("ключевые показатели", "the key figures"),
    "get_cost_trends": ("динамику расходов", "the cost trend"),
    "get_service_breakdown": ("расходы по сервисам", "costs by service"),
    "get_provider_breakdown": ("расходы по провайдерам", "costs by provider"),
    "get_anomalies": ("данные об аномалиях", "the anomaly data"),
    "summarize_top_recommendations": ("список рекомендаций", "the list of recommendations"),
}
UNKNOWN_TOPIC: Pair = ("эти данные", "that data")

# --- counted nouns: ((one, few, many) in Russian, (one, many) in English) ------------------------

NOUNS: dict[str, tuple[tuple[str, str, str], tuple[str, str]]] = {
    "day": (("день", "дня", "дней"), ("day", "days")),
    "minute_genitive": (("минуты", "минут", "минут"), ("min", "min")),
    "node": (("узел", "узла", "узлов"), ("node", "nodes")),
    "option": (("вариант", "варианта", "вариантов"), ("option", "options")),
    "step": (("шаг", "шага", "шагов"), ("step", "steps")),
    "sync": (("синхронизацию", "синхронизации", "синхронизаций"), ("sync", "syncs")),
    "connection": (("подключение", "подключения", "подключений"), ("connection", "connections")),
    "recommendation": (
        ("рекомендация", "рекомендации", "рекомендаций"),
        ("recommendation", "recommendations"),
    ),
    "resource": (("ресурс", "ресурса", "ресурсов"), ("resource", "resources")),
    "active_resource": (
        ("активный ресурс", "активных ресурса", "активных ресурсов"),
        ("active resource", "active resources"),
    ),
    "service": (("сервис", "сервиса", "сервисов"), ("service", "services")),
    "anomaly": (("аномалия", "аномалии", "аномалий"), ("anomaly", "anomalies")),
}

# --- names of things --------------------------------------------------------------------------

# A period in English; the Russian ones are ru_format.PERIOD_SUFFIXES, as in every text.
EN_SUFFIXES: dict[str, str] = {
    "month": "₽/month",
    "day": "₽/day",
    "year": "₽/year",
    "quarter": "₽/quarter",
}
PROVIDER_NAMES = {"yandex": "Yandex Cloud", "selectel": "Selectel", "beget": "Beget"}
MONTHS: Pair = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
)
RESOURCE_TYPES: dict[str, Pair] = {
    "server": ("сервер", "server"),
    "vm": ("виртуальная машина", "virtual machine"),
    "instance": ("виртуальная машина", "virtual machine"),
    "volume": ("диск", "disk"),
    "snapshot": ("снимок диска", "disk snapshot"),
    "snapshots": ("снимок диска", "disk snapshot"),
    "image": ("образ диска", "disk image"),
    "reserved_ip": ("IP-адрес", "IP address"),
    "floating_ip": ("IP-адрес", "IP address"),
    "ip": ("IP-адрес", "IP address"),
    "kubernetes-cluster": ("кластер Kubernetes", "Kubernetes cluster"),
    "kubernetes_cluster": ("кластер Kubernetes", "Kubernetes cluster"),
    "postgresql-cluster": ("кластер PostgreSQL", "PostgreSQL cluster"),
    "mysql-cluster": ("кластер MySQL", "MySQL cluster"),
    "kafka-cluster": ("кластер Kafka", "Kafka cluster"),
    "redis-cluster": ("кластер Redis", "Redis cluster"),
    "mongodb-cluster": ("кластер MongoDB", "MongoDB cluster"),
    "clickhouse-cluster": ("кластер ClickHouse", "ClickHouse cluster"),
    "database": ("база данных", "database"),
    "load_balancer": ("балансировщик нагрузки", "load balancer"),
    "s3_bucket": ("бакет S3", "S3 bucket"),
    "storage": ("хранилище", "storage"),
    "file_storage": ("файловое хранилище", "file storage"),
    "domain": ("домен", "domain"),
    "email": ("почта", "email"),
    "backup": ("резервная копия", "backup"),
}
RECOMMENDATION_TYPES: dict[str, Pair] = {
    "price_compare_cross_provider": (
        "перенос к более выгодному провайдеру",
        "a move to a cheaper provider",
    ),
    "price_compare_same_provider": (
        "переход на более дешёвый тариф у того же провайдера",
        "a cheaper plan at the same provider",
    ),
    "cleanup_old_snapshot": ("удаление старого снимка", "deleting an old snapshot"),
    "cleanup_unused_ip": ("освобождение неиспользуемого IP-адреса", "releasing an unused IP"),
    "cleanup_unused_volume": ("удаление неподключённого диска", "deleting an unattached disk"),
    "cleanup_stopped": ("удаление остановленного сервера", "deleting a stopped server"),
    "cleanup": ("удаление неиспользуемого ресурса", "removing an unused resource"),
    "rightsizing_cpu": ("уменьшение числа vCPU", "fewer vCPUs"),
    "rightsizing": ("уменьшение конфигурации", "a smaller configuration"),
    "shutdown": ("выключение по расписанию", "a shutdown schedule"),
    "migrate": ("перенос", "a migration"),
    "commitment": ("резервирование ресурсов", "a capacity commitment"),
}
# When the type is not one of the above: by the facts family (recommendations_ai.facts).
FAMILY_TYPES: dict[str, Pair] = {
    "price": ("более выгодная конфигурация", "a cheaper configuration"),
    "rightsizing": ("уменьшение конфигурации", "a smaller configuration"),
    "cleanup": ("удаление неиспользуемого ресурса", "removing an unused resource"),
    "stopped": ("удаление остановленного сервера", "deleting a stopped server"),
    "generic": ("оптимизация расходов", "a cost optimisation"),
}
STATUSES: dict[str, Pair] = {
    "pending": ("ожидает решения", "pending"),
    "seen": ("просмотрена", "seen"),
    "snoozed": ("отложена", "snoozed"),
    "implemented": ("выполнена", "implemented"),
    "dismissed": ("отклонена", "dismissed"),
    "auto_dismissed": ("отклонена автоматически", "dismissed automatically"),
}
SEVERITIES: dict[str, Pair] = {
    "info": ("информационная", "informational"),
    "low": ("низкая", "low"),
    "medium": ("средняя", "medium"),
    "high": ("высокая", "high"),
    "critical": ("критическая", "critical"),
}
EFFORT_LEVELS: dict[str, Pair] = {
    "low": ("низкая", "low"),
    "medium": ("средняя", "medium"),
    "high": ("высокая", "high"),
}
STEP_RISKS: dict[str, Pair] = {
    "low": ("низкий", "low"),
    "medium": ("средний", "medium"),
    "high": ("высокий", "high"),
}
SYNC_STATUSES: dict[str, Pair] = {
    "success": ("успешно", "successful"),
    "partial": ("частично", "partial"),
    "partial_success": ("частично", "partial"),
    "error": ("с ошибкой", "failed"),
    "running": ("идёт", "running"),
    "syncing": ("идёт", "running"),
    "pending": ("ожидает", "pending"),
}
