"""The figures of a chat answer traced to its data (chat.citations): what counts as a figure,
what matches a source, what is marked."""

from __future__ import annotations

from chat.citations import (
    CONTEXT_LABEL,
    UNVERIFIED_MARK,
    figures_check,
    pack_sources,
    tool_source,
)
from chat.prompts import system_prompt_build
from ru_numbers import figures_in_text, numbers_in_text


def _daily(amount: float) -> dict:
    return {"amount": amount, "unit": "RUB", "period": "day"}


RECOMMENDATION = tool_source(
    tool="get_recommendation",
    label="Рекомендация",
    summary="Перенос сервера web-1: экономия 12 345.67 RUB/month",
    data={
        "id": 41,
        "resource_name": "gitdisk-1740816592565",
        "savings": {"amount": 12345.67, "unit": "RUB", "period": "month"},
        "current_cost": {"amount": 411.52, "unit": "RUB", "period": "day"},
        "savings_percent": 37.4,
        "age_days": 248,
        "size_gb": 507.2,
        "cpu_avg": 0.06,
    },
)
BREAKDOWN = tool_source(
    tool="get_provider_breakdown",
    label="Расходы по провайдерам",
    summary="3 провайдера",
    data={
        "providers": [
            {"provider": "yandex", "cost": _daily(1000.0), "share_percent": 80.0},
            {"provider": "selectel", "cost": _daily(250.5), "share_percent": 20.0},
        ]
    },
)


def check(text: str, *sources, given: str = ""):
    return figures_check(text=text, sources=list(sources) or [RECOMMENDATION], given=given)


# --- reading ----------------------------------------------------------------------------------
def test_it_reads_russian_figures_with_their_scale_and_unit():
    figures = figures_in_text("12 345,67 ₽, 1,2 тыс. ₽/мес, 15 %, 248 дней, 507 GB, 3 млн")
    assert [(f.value, f.kind) for f in figures] == [
        (12345.67, "money"),
        (1200.0, "money"),
        (15.0, "percent"),
        (248.0, "days"),
        (507.0, "size"),
        (3_000_000.0, "count"),
    ]
    assert [f.text for f in figures][:2] == ["12 345,67 ₽", "1,2 тыс. ₽/мес"]


def test_the_recommendation_texts_read_numbers_as_before():
    # The grounding of the recommendation texts reads the digits alone, scale words aside.
    assert numbers_in_text("Экономия 1,709 ₽/мес, 1,2 тыс. и 8,5 GB") == [1709.0, 1.2, 8.5]


# --- matching ---------------------------------------------------------------------------------
def test_figures_rounded_as_a_person_rounds_are_cited():
    for written in ("12 346 ₽", "12 345,67 ₽", "12,3 тыс. ₽", "12 000 ₽", "37 %", "37,4 %"):
        checked = check(f"Экономия {written} в месяц.")
        assert checked.unverified == [], written
        assert checked.citations[0]["figures"] == [written.split(" в")[0]]


def test_simple_derived_figures_are_cited():
    checked = check(
        "В год 148 148 ₽, в день 411,52 ₽ — это 12 346 ₽/мес; загрузка 6 %.", RECOMMENDATION
    )
    assert checked.unverified == []
    assert checked.cited == 4
    # The sum of the listed items, per month.
    summed = check("Всего 1 250,5 ₽ в день, 37 515 ₽ в месяц.", BREAKDOWN)
    assert summed.unverified == [] and summed.citations[0]["tool"] == "get_provider_breakdown"


def test_an_invented_figure_is_marked_and_listed():
    checked = check("Экономия **987 654 ₽/мес**, это 73 % расходов, за 600 дней.")
    assert checked.unverified == ["987 654 ₽/мес", "73 %", "600 дней"]
    assert checked.citations == []
    assert checked.content == (
        f"Экономия **987 654 ₽/мес{UNVERIFIED_MARK}**, это 73 %{UNVERIFIED_MARK} расходов, "
        f"за 600 дней{UNVERIFIED_MARK}."
    )


def test_a_near_miss_is_not_a_match():
    # 12 345,67 rounds to 12 346, never to 12 400 or to 13 тыс.
    assert check("Экономия 12 400 ₽.").unverified == ["12 400 ₽"]
    assert check("Экономия 13 тыс. ₽.").unverified == ["13 тыс. ₽"]


def test_list_numbers_dates_small_counts_and_the_question_are_not_checked():
    text = (
        "1. Удалите диск.\n2) Проверьте 07.12.2026 в 10:15 и 2026-12-01.\n"
        "Это 3 шага, как вы и спросили про 5000 ₽."
    )
    checked = check(text, given="А если 5 000 ₽?")
    assert checked.unverified == [] and checked.citations == []
    assert checked.content == text


def test_numbers_in_names_and_ids_are_cited():
    checked = check("Диск gitdisk-1740816592565 (рекомендация 41).")
    assert checked.unverified == []
    assert checked.citations[0]["figures"] == ["1740816592565", "41"]


def test_alternatives_are_not_added_up():
    alternatives = tool_source(
        tool="list_top_alternatives",
        label="Альтернативы",
        summary="2 варианта",
        data={"alternatives": [{"savings": _daily(100.0)}, {"savings": _daily(200.0)}]},
    )
    assert check("Вместе 300 ₽ в день.", alternatives).unverified == ["300 ₽"]


def test_citations_are_numbered_by_first_use_and_grouped_by_source():
    checked = check(
        "Провайдеры: 1 000 ₽ в день; экономия 12 346 ₽; ещё 250,5 ₽.", RECOMMENDATION, BREAKDOWN
    )
    assert [(c["n"], c["tool"], c["figures"]) for c in checked.citations] == [
        (1, "get_provider_breakdown", ["1 000 ₽", "250,5 ₽"]),
        (2, "get_recommendation", ["12 346 ₽"]),
    ]
    assert set(checked.citations[0]) == {"n", "tool", "label", "summary", "figures"}


def test_a_trusted_text_is_cited_but_never_marked():
    checked = figures_check(text="Экономия 987 654 ₽.", sources=[RECOMMENDATION], mark=False)
    assert checked.content == "Экономия 987 654 ₽." and checked.unverified == []


def test_the_context_pack_is_read_back_from_the_system_prompt():
    pack = {
        "scenario": "analytics",
        "time_range_days": 7,
        "kpis": {"monthly_cost": "19800 RUB/month", "name": "<b>x</b>"},
        "unavailable": {"trend": "unavailable: no data"},
    }
    prompt = system_prompt_build(scenario="analytics", pack=pack, read_only=False)
    sources = pack_sources(prompt)
    assert [s.tool for s in sources] == ["context:time_range_days", "context:kpis"]
    assert sources[1].label == CONTEXT_LABEL and "<b>x</b>" in sources[1].summary
    checked = figures_check(text="За 7 дней: 19 800 ₽/мес, 660 ₽ в день.", sources=sources)
    assert checked.unverified == []
    assert [c["tool"] for c in checked.citations] == ["context:time_range_days", "context:kpis"]
    assert pack_sources("no data block") == []


def test_summaries_with_markup_are_neutralised_in_the_citation():
    source = tool_source(tool="get_resource", label="Ресурс", summary="<img src=x>", data={"n": 77})
    checked = figures_check(text="Ресурс 77 ГБ.", sources=[source])
    assert checked.citations[0]["summary"] == "<\u200bimg src=x>"


def test_a_figure_read_from_an_earlier_screenshot_is_cited_to_it():
    from chat.citations import SCREENSHOT_TOOL, reading_sources
    from chat.image_prompts import READING_NOTE

    note = READING_NOTE.format(
        position=2,
        image_id="0b9c3f0e-8f2a-4c3e-9a55-2f4f1c7d9e11",
        reading="График 2: трафик 3,2 ТБ за ноябрь.",
    )
    history = [
        {"role": "system", "content": "без данных"},
        {"role": "user", "content": f"Что на скриншоте? {note}"},
        {"role": "assistant", "content": "На графике трафик 99 ТБ."},  # not a source
    ]
    sources = reading_sources(history)
    assert [source.tool for source in sources] == [SCREENSHOT_TOOL]
    checked = figures_check(text="Трафик был 3,2 ТБ, а не 7,5 ТБ.", sources=sources)
    assert [c["tool"] for c in checked.citations] == [SCREENSHOT_TOOL]
    assert len(checked.unverified) == 1 and "7,5" in checked.unverified[0]
