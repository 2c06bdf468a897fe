"""The booking horizon (issue 12 item 6) and the calendar's ends (item 11).

Crafted requests booked 2099 and 9999, and years whose school holidays nobody knows; dates
at the calendar's ends (0001-01-01, 9999-12-31) made the Vue Période, a cell's click and the
Vue Agenda answer 500. Every booking path now goes through one horizon (horizon.BookingHorizon,
applied by policy.refusal), and every date the pages read is brought within it.
"""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_inbox.exceptions import AbsenceTooFar, AbsenceTooOld
from requests_inbox.models import Absence
from requests_inbox.services import absence_declare
from reservations.calendar import SchoolHolidays
from reservations.exceptions import ReservationsError
from reservations.forms import OUTSIDE_CALENDAR
from reservations.horizon import (
    HORIZON_HOLIDAYS_UNKNOWN,
    HORIZON_SCHOOL_YEAR,
    LOOK_BACK_WEEKS,
    booking_horizon,
)
from reservations.lifecycle import State
from reservations.models import Booking, WaitingListEntry
from reservations.rules import PARIS, WeeklyDeadline, can_book
from reservations.services.cart import PERIOD_GONE, agenda_add, cart_add
from reservations.services.staff import booking_staff_create
from reservations.services.validation import cart_validate
from reservations.services.waitlist import waitlist_join
from tests.factories import (
    BookingFactory,
    MembershipFactory,
    PrestationFactory,
    ServiceFactory,
)
from tests.requests_inbox.conftest import pdf_upload
from tests.reservations.conftest import Family, Site, family_of, site_of

D = dt.date
# The pages' clock: Monday 30/11/2026 09:00 in Paris (school year 2026-2027).
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)
TODAY = NOW.date()
# The next school year ends on 31/08/2028, the last day the package's holidays cover too.
LAST_DAY = D(2028, 8, 31)
INDEX = reverse("reservations:index")
TOGGLE = reverse("reservations:toggle")
AGENDA = reverse("reservations:agenda")


# --- The rule, pure ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "last_day"),
    [
        (D(2026, 11, 30), D(2028, 8, 31)),  # school year 2026-27: the next ends in 2028
        (D(2026, 9, 1), D(2028, 8, 31)),
        (D(2026, 8, 31), D(2027, 8, 31)),  # still 2025-26: the next is 2026-27
        (D(2025, 1, 16), D(2026, 8, 31)),
    ],
)
def test_the_horizon_is_the_end_of_the_next_school_year(today, last_day):
    horizon = booking_horizon(today)
    assert (horizon.last_day, horizon.why) == (last_day, HORIZON_SCHOOL_YEAR)
    assert horizon.allows(last_day) and not horizon.allows(last_day + dt.timedelta(days=1))
    assert horizon.refusal == (
        f"Réservation impossible après le {last_day:%d/%m/%Y} : {HORIZON_SCHOOL_YEAR}"
    )


def test_the_horizon_stops_where_the_school_holidays_stop_being_known():
    known = SchoolHolidays.from_csv(["zone,start,end,name", "C,2027-07-03,2027-08-31,Été"])
    horizon = booking_horizon(D(2026, 11, 30), known)
    assert (horizon.last_day, horizon.why) == (D(2027, 8, 31), HORIZON_HOLIDAYS_UNKNOWN)
    # Data older than today: nothing can be booked until it is updated.
    assert not booking_horizon(D(2027, 10, 1), known).allows(D(2027, 10, 2))
    # The package's data: known until the summer of 2028 (see test_calendar).
    assert SchoolHolidays.from_package().covers_until >= booking_horizon(TODAY).last_day


def test_can_book_refuses_past_the_horizon_before_anything_else():
    rules = _cantine_rules()
    horizon = booking_horizon(TODAY)
    decision = can_book(rules, D(2099, 1, 5), NOW, horizon=horizon)
    assert (decision.allowed, decision.reason) == (False, horizon.refusal)
    assert can_book(rules, D(9999, 12, 31), NOW, horizon=horizon).reason == horizon.refusal
    assert can_book(rules, D(2027, 1, 4), NOW, horizon=horizon).allowed
    # Without a horizon the deadline alone answers (the rule is unchanged for its callers).
    assert can_book(rules, D(2099, 1, 5), NOW).allowed


def _cantine_rules():
    from reservations.rules import NotAllowed, PrestationRules

    return PrestationRules(booking=WeeklyDeadline(2, dt.time(12)), cancellation=NotAllowed())


@settings(max_examples=300, deadline=None)
@given(today=st.dates(D(2000, 1, 1), D(2090, 12, 31)), asked=st.dates(), weeks=st.integers(1, 12))
def test_a_grid_always_starts_on_a_monday_it_may_show(today, asked, weeks):
    horizon = booking_horizon(today, SchoolHolidays())  # no data: the school year bounds it
    start = horizon.grid_start(asked, weeks)
    assert start.isoweekday() == 1
    assert horizon.first_shown <= start <= horizon.last_start(weeks)
    assert horizon.shows(start, weeks)
    assert horizon.first_shown == today - dt.timedelta(
        days=today.isoweekday() - 1, weeks=LOOK_BACK_WEEKS
    )
    # The last grid shows the horizon's last day; a day the grid shows is within bounds.
    assert horizon.shows(horizon.last_day, weeks)
    if horizon.shows(asked, weeks):
        assert start <= asked < start + dt.timedelta(weeks=weeks) or start == horizon.last_start(
            weeks
        )


# --- Services: crafted bookings ----------------------------------------------------------


@pytest.fixture
def site(tenant_a, in_tenant) -> Site:
    with in_tenant(tenant_a):
        return site_of()


@pytest.fixture
def family(tenant_a, in_tenant, client_a) -> Family:
    result = family_of(tenant_a, in_tenant)
    client_a.force_login(result.user)
    return result


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("day", [D(2028, 9, 4), D(2099, 1, 5), D(9999, 12, 31)])
def test_no_service_books_past_the_horizon(day, site, family, tenant_a, in_tenant):
    child, horizon = family.children[0], booking_horizon(TODAY)
    with in_tenant(tenant_a):
        with pytest.raises(ReservationsError) as refused:
            cart_add(child=child, prestation=site.garderie, day=day)
        assert refused.value.message == horizon.refusal
        site.garderie.capacity = 0
        site.garderie.save()
        with pytest.raises(ReservationsError) as refused:
            waitlist_join(child=child, prestation=site.garderie, day=day)
        assert refused.value.message == horizon.refusal
        assert not Booking.objects.filter(child=child).exists()
        assert not WaitingListEntry.objects.filter(child=child).exists()


@pytest.mark.django_db
def test_the_last_day_of_the_horizon_can_be_booked(family, tenant_a, in_tenant):
    # An accueil de loisirs runs in the summer: Thursday 31/08/2028 is the horizon's last
    # day, Friday 01/09/2028 the first past it.
    with in_tenant(tenant_a):
        centre = PrestationFactory(
            service=ServiceFactory(closed_during_school_holidays=False), weekdays=[1, 2, 3, 4, 5]
        )
        child = family.children[0]
        assert cart_add(child=child, prestation=centre, day=LAST_DAY).state == State.CART
        with pytest.raises(ReservationsError):
            cart_add(child=child, prestation=centre, day=LAST_DAY + dt.timedelta(days=1))


@pytest.mark.django_db
def test_staff_override_deadlines_not_the_horizon(site, family, tenant_a, in_tenant):
    """Staff book past a deadline with a motive; a day whose school holidays nobody knows
    yet (2099, 9999) is refused to them too, like a closed day."""
    staff = MembershipFactory(collectivite=tenant_a, role="agent").user
    child = family.children[0]
    with in_tenant(tenant_a):
        for day in (D(2099, 1, 5), D(9999, 12, 31)):
            with pytest.raises(ReservationsError) as refused:
                booking_staff_create(
                    child=child,
                    prestation=site.garderie,
                    day=day,
                    user=staff,
                    note="Demande de la famille",
                    override=True,
                )
            assert refused.value.message == booking_horizon(TODAY).refusal
        assert not Booking.objects.filter(child=child).exists()
        assert booking_staff_create(
            child=child, prestation=site.garderie, day=D(2027, 1, 5), user=staff
        ).day == D(2027, 1, 5)


@pytest.mark.django_db
def test_a_cart_line_past_the_horizon_is_refused_at_validation(site, family, tenant_a, in_tenant):
    """A line written before the horizon existed (or by a crafted insert) never validates."""
    with in_tenant(tenant_a):
        line = BookingFactory(
            child=family.children[0], prestation=site.garderie, day=D(2099, 1, 5), state="cart"
        )
        with pytest.raises(ReservationsError) as refused:
            cart_validate(foyer=family.foyer)
        assert booking_horizon(TODAY).refusal in refused.value.message
        line.refresh_from_db()
        assert line.state == State.CART


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (D(2099, 1, 1), D(2099, 3, 1), booking_horizon(TODAY).refusal),
        (D(9999, 12, 1), D(9999, 12, 31), booking_horizon(TODAY).refusal),
        (D(2028, 6, 1), D(2028, 9, 30), booking_horizon(TODAY).refusal),
        (D(1, 1, 1), D(1, 12, 31), PERIOD_GONE),
    ],
)
def test_the_vue_agenda_refuses_a_period_past_the_horizon_or_over(
    start, end, message, site, family, tenant_a, in_tenant
):
    with in_tenant(tenant_a), pytest.raises(ReservationsError) as refused:
        agenda_add(
            child=family.children[0],
            prestation=site.garderie,
            start=start,
            end=end,
            weekdays=[1, 2, 3, 4, 5],
        )
    assert refused.value.message == message
    with in_tenant(tenant_a):
        assert not Booking.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "error"),
    [
        (D(1, 1, 1), AbsenceTooOld),
        (D(2025, 11, 1), AbsenceTooOld),
        (D(9999, 12, 31), AbsenceTooFar),
    ],
)
def test_absences_outside_a_year_around_today_are_refused(
    day, error, family, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    with in_tenant(tenant_a), pytest.raises(error):
        absence_declare(
            foyer=family.foyer,
            child=child,
            start=day,
            end=day,
            motif="Varicelle",
            attachment=pdf_upload(),
            user=family.user,
        )
    # The crafted form: a French error on the page, nothing written.
    response = client_a.post(
        reverse("requests_inbox:absence"),
        {
            "child": child.pk,
            "start": day.isoformat(),
            "end": day.isoformat(),
            "motif": "Varicelle",
            "justificatif": pdf_upload(),
        },
    )
    assert response.status_code == 200
    assert error.message in unescape(response.content.decode())
    with in_tenant(tenant_a):
        assert not Absence.objects.exists()


# --- Pages: the calendar's ends ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asked", "start", "moved"),
    [
        ("9999-12-31", D(2028, 8, 7), True),  # the last grid ends with the horizon's week
        ("2099-01-05", D(2028, 8, 7), True),
        ("0001-01-01", D(2025, 12, 1), True),  # 52 weeks before this week's Monday
        ("2024-06-03", D(2025, 12, 1), True),
        ("n'importe quoi", D(2026, 11, 30), False),
        ("2027-01-06", D(2027, 1, 4), False),
    ],
)
def test_the_vue_periode_brings_any_start_within_the_calendar(
    asked, start, moved, site, family, client_a
):
    response = client_a.get(INDEX, {"debut": asked, "service": site.service.pk})
    assert response.status_code == 200
    grid = response.context["grid"]
    assert grid.start == start
    page = unescape(response.content.decode())
    assert ("Les réservations se consultent du 01/12/2025 au 31/08/2028" in page) is moved
    assert "Réservations ouvertes jusqu'au 31/08/2028" in page
    # No link leads outside: « Suivant » stops at the last grid, « Précédent » at the first.
    assert (grid.next_start is None) is (start == D(2028, 8, 7))
    assert (grid.previous_start is None) is (start == D(2025, 12, 1))


@pytest.mark.django_db
def test_the_last_grid_locks_the_days_past_the_horizon(site, family, client_a):
    response = client_a.get(INDEX, {"debut": "2028-08-28", "service": site.service.pk})
    cells = {
        cell.day: cell
        for week in response.context["grid"].weeks
        for row in week.rows
        for cell in row.cells
        if row.prestation == site.garderie
    }
    # Friday 01/09/2028 is past the horizon: whether school runs that day is not known yet,
    # so the cell is locked with the horizon's reason, not offered.
    assert cells[D(2028, 9, 1)].reason == booking_horizon(TODAY).refusal


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["99991231", "00010101", "20990105", "20240105"])
def test_a_click_outside_the_calendar_is_a_400_with_a_french_message(
    day, site, family, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client_a.post(
            TOGGLE, {"child": child.pk, "cell": f"{site.garderie.pk}-{day}"}, **htmx
        )
        assert response.status_code == 400
        assert OUTSIDE_CALENDAR.format(first="01/12/2025", last="31/08/2028") in unescape(
            response.content.decode()
        )
    with in_tenant(tenant_a):
        assert not Booking.objects.exists()


@pytest.mark.django_db
def test_a_click_past_the_horizon_in_the_last_grid_says_why(
    site, family, client_a, tenant_a, in_tenant
):
    child = family.children[0]
    response = client_a.post(
        TOGGLE,
        {"child": child.pk, "cell": f"{site.garderie.pk}-20280901", "debut": "9999-12-31"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert booking_horizon(TODAY).refusal in unescape(response.content.decode())
    with in_tenant(tenant_a):
        assert not Booking.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-01", "9999-12-31"), ("2099-01-01", "2099-03-01"), ("0001-01-01", "0001-12-31")],
)
def test_the_vue_agenda_page_answers_a_french_error_at_the_calendars_ends(
    start, end, site, family, client_a, tenant_a, in_tenant
):
    response = client_a.post(
        AGENDA,
        {
            "child": family.children[0].pk,
            "prestation": site.garderie.pk,
            "start": start,
            "end": end,
            "weekdays": [1, 2, 3, 4, 5],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert 'max="2028-08-31"' in response.content.decode()
    with in_tenant(tenant_a):
        assert not Booking.objects.exists()


# --- Hypothesis over the pages' parameters ------------------------------------------------

HOSTILE_DATES = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.sampled_from(["0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "", "\x00", "-1"]),
    st.text(max_size=40),
)
FEW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OK = {200, 302, 400, 404}


def _beyond_or_before(tenant_a, in_tenant) -> int:
    """Count the bookings outside [today, horizon]: none may ever be written."""
    with in_tenant(tenant_a):
        return (
            Booking.objects.exclude(day__range=(TODAY, LAST_DAY)).count()
            + WaitingListEntry.objects.exclude(day__range=(TODAY, LAST_DAY)).count()
        )


@pytest.mark.django_db
@FEW
@given(debut=HOSTILE_DATES, enfant=st.one_of(st.none(), st.text(max_size=20)))
def test_hypothesis_vue_periode(site, family, client_a, debut, enfant):
    params = {"debut": debut, "service": site.service.pk}
    if enfant is not None:
        params["enfant"] = enfant
    response = client_a.get(INDEX, params)
    assert response.status_code in OK


@pytest.mark.django_db
@FEW
@given(day=st.dates(), debut=HOSTILE_DATES, cell=st.one_of(st.none(), st.text(max_size=30)))
def test_hypothesis_cell_clicks(site, family, client_a, tenant_a, in_tenant, day, debut, cell):
    before = _beyond_or_before(tenant_a, in_tenant)
    data = {
        "child": family.children[0].pk,
        "cell": cell if cell is not None else f"{site.garderie.pk}-{day:%Y%m%d}",
        "debut": debut,
    }
    response = client_a.post(TOGGLE, data, HTTP_HX_REQUEST="true")
    assert response.status_code in OK
    assert _beyond_or_before(tenant_a, in_tenant) == before == 0


@pytest.mark.django_db
@FEW
@given(
    start=st.one_of(st.dates().map(dt.date.isoformat), HOSTILE_DATES),
    end=st.one_of(st.dates().map(dt.date.isoformat), HOSTILE_DATES),
    weekdays=st.lists(st.sampled_from(["1", "3", "5", "7", "x", "-1"]), max_size=4),
    parity=st.sampled_from(["", "even", "odd", "both", "\x00"]),
)
def test_hypothesis_vue_agenda(
    site, family, client_a, tenant_a, in_tenant, start, end, weekdays, parity
):
    response = client_a.post(
        AGENDA,
        {
            "child": family.children[0].pk,
            "prestation": site.garderie.pk,
            "start": start,
            "end": end,
            "weekdays": weekdays,
            "week_parity": parity,
        },
    )
    assert response.status_code in OK
    assert _beyond_or_before(tenant_a, in_tenant) == 0


@pytest.mark.django_db
@FEW
@given(start=HOSTILE_DATES, end=HOSTILE_DATES)
def test_hypothesis_absence_dates(family, client_a, tenant_a, in_tenant, start, end):
    cache.clear()  # the rate limit (20 absences an hour) counts in the cache
    response = client_a.post(
        reverse("requests_inbox:absence"),
        {
            "child": family.children[0].pk,
            "start": start,
            "end": end,
            "motif": "Rendez-vous médical",
            "justificatif": pdf_upload(),
        },
    )
    assert response.status_code in OK
    with in_tenant(tenant_a):
        # A year back to a year ahead of today, never anything else.
        far = dt.timedelta(days=366)
        assert not Absence.objects.exclude(start__gte=TODAY - far, end__lte=TODAY + far).exists()
