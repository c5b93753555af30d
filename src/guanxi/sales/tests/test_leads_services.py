"""Lead services: capture, scoring, qualifying, assignment (by hand, round-robin, territory),
notification and e-mail, and conversion incl. the duplicate path and converting twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.core import services as core
from guanxi.core.models import AuditEntry, Notification
from guanxi.core.roles import Role
from guanxi.customers.models import Contact, Customer, TimelineEvent
from guanxi.sales.models import Lead, Opportunity, RoundRobinState
from guanxi.sales.services.lead_assignment import lead_assign, lead_assign_by_territory, lead_assign_round_robin
from guanxi.sales.services.lead_conversion import DuplicateCustomer, lead_convert
from guanxi.sales.services.leads import (
    lead_create,
    lead_delete,
    lead_qualify,
    lead_update,
    score_rule_create,
    score_rule_delete,
    score_rule_update,
)
from guanxi.sales.services.territories import territory_member_set
from guanxi.testing import PASSWORD

pytestmark = pytest.mark.django_db


def new_lead(actor, **data):
    return lead_create(actor=actor, data={"name": "王芳", **data})


# --- capture, derived fields ----------------------------------------------------------------

def test_create_normalises_phone_derives_pinyin_territory_and_audits(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a, phone="139 1234 5678", email=" Wang@Example.COM ", province="上海市", company="华彩",
                    source="event", campaign="2026 春季展会", estimated_amount="12000.5")
    lead.refresh_from_db()
    assert lead.phone == "+8613912345678" and lead.email == "wang@example.com"
    assert lead.name_pinyin == "wangfang"
    assert lead.territory == w.territories["shanghai"]  # the deepest matching territory
    assert lead.owner == w.rep_a and lead.store == w.stores["S1"] and lead.created_by == w.rep_a
    assert lead.estimated_amount == Decimal("12000.50")
    assert (lead.source, lead.campaign) == ("event", "2026 春季展会")
    entry = AuditEntry.objects.get(object_type="sales.lead", object_id=str(lead.pk))
    assert entry.action == "create" and entry.actor == w.rep_a


@pytest.mark.parametrize("data, field", [
    ({"phone": "12345"}, "phone"), ({"email": "not-an-email"}, "email"), ({"name": "  "}, "name"),
    ({"status": "converted"}, "status"), ({"rating": "lukewarm"}, "rating"), ({"estimated_amount": "-1"},
                                                                            "estimated_amount"),
    ({"organization": 2}, "organization"), ({"score": 99}, "score"),
])
def test_bad_input_is_a_field_error_and_writes_nothing(sales_world, data, field):
    before = Lead.objects.count()
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=sales_world.rep_a, data={"name": "李雷", **data})
    assert field in exc.value.message_dict
    assert Lead.objects.count() == before


def test_a_rep_creates_only_for_themselves_and_readonly_not_at_all(sales_world):
    w = sales_world
    with pytest.raises(ValidationError) as exc:
        new_lead(w.rep_a, owner=w.rep_b.pk)
    assert "owner" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        new_lead(w.readonly)


# --- scoring --------------------------------------------------------------------------------

def test_score_is_the_sum_of_matching_active_rules_and_follows_every_write(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a, source="web", industry="零售")
    assert lead.score == 0
    web = score_rule_create(actor=w.marketing, data={"name": "网站", "field": "source", "operator": "equals",
                                                     "value": "web", "points": 10})
    score_rule_create(actor=w.marketing, data={"name": "有邮箱", "field": "email", "operator": "not_empty",
                                               "points": 5})
    score_rule_create(actor=w.marketing, data={"name": "零售", "field": "industry", "operator": "contains",
                                               "value": "零售", "points": 20, "is_active": False})
    lead.refresh_from_db()
    assert lead.score == 10  # rescored when the rules changed; the inactive rule counts nothing
    lead = lead_update(actor=w.rep_a, lead=lead, data={"email": "wf@example.com"})
    assert lead.score == 15
    score_rule_update(actor=w.marketing, rule=web, data={"points": 30})
    lead.refresh_from_db()
    assert lead.score == 35
    score_rule_delete(actor=w.marketing, rule=web)
    lead.refresh_from_db()
    assert lead.score == 5


def test_scoring_rules_are_managed_only_with_manage_forms(sales_world):
    with pytest.raises(PermissionDenied):
        score_rule_create(actor=sales_world.rep_a, data={"name": "x", "field": "source", "value": "web"})
    with pytest.raises(ValidationError) as exc:
        score_rule_create(actor=sales_world.admin, data={"name": "x", "field": "owner", "value": "1", "points": 5000})
    assert {"field", "points"} <= set(exc.value.message_dict)


# --- qualifying, deleting -------------------------------------------------------------------

def test_qualify_sets_status_and_rating_but_never_converted(sales_world):
    w = sales_world
    lead = lead_qualify(actor=w.rep_a, lead=new_lead(w.rep_a), status="qualified", rating="hot")
    assert (lead.status, lead.rating) == ("qualified", "hot")
    with pytest.raises(ValidationError):
        lead_qualify(actor=w.rep_a, lead=lead, status="converted")
    with pytest.raises(PermissionDenied):  # a teammate sees it but may not change it
        lead_qualify(actor=w.rep_b, lead=lead, status="unqualified")


def test_delete_needs_the_delete_right(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a)
    with pytest.raises(PermissionDenied):
        lead_delete(actor=w.rep_a, lead=lead)
    lead_delete(actor=w.manager, lead=lead)
    assert not Lead.objects.filter(pk=lead.pk).exists()


# --- assignment -----------------------------------------------------------------------------

def test_manual_assignment_notifies_and_emails_the_assignee(sales_world, django_capture_on_commit_callbacks):
    w = sales_world
    lead = new_lead(w.manager, owner=w.rep_a.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_assign(actor=w.manager, lead=lead, owner=w.rep_b.pk)
    assert lead.owner == w.rep_b and lead.assigned_at is not None
    note = Notification.objects.get(recipient=w.rep_b)
    assert "王芳" in note.text and note.url == f"/leads/{lead.pk}/" and note.read_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep_b@example.com"] and "王芳" in mail.outbox[0].subject
    assert f"/leads/{lead.pk}/" in mail.outbox[0].body


def test_manual_assignment_is_refused_without_the_right_or_to_an_unassignable_user(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a)
    with pytest.raises(PermissionDenied):
        lead_assign(actor=w.rep_a, lead=lead, owner=w.rep_b.pk)  # reps do not assign
    with pytest.raises(ValidationError) as exc:
        lead_assign(actor=w.manager, lead=lead, owner=w.rep_d.pk)  # rep_d works in the other store
    assert "owner" in exc.value.message_dict
    with pytest.raises(ValidationError):
        lead_assign(actor=w.manager, lead=lead, owner=w.deactivated.pk)
    assert Notification.objects.count() == 0


def test_round_robin_takes_turns_and_skips_inactive_and_non_sales_members(sales_world):
    w = sales_world
    team = w.teams["T1"]  # rep_a, rep_b, and the deactivated rep
    core.user_create(actor=None, organization=w.org, username="t1_lead", role=Role.MANAGER, password=PASSWORD,
                     store=w.stores["S1"], team=team)
    leads = [new_lead(w.manager, owner=w.manager.pk, name=f"线索{i}") for i in range(5)]
    owners = [lead_assign_round_robin(actor=w.manager, lead=lead, team=team.pk).owner.username for lead in leads]
    assert owners == ["rep_a", "rep_b", "rep_a", "rep_b", "rep_a"]
    state = RoundRobinState.objects.get(team=team)
    assert state.last_user == w.rep_a


def test_round_robin_in_a_team_without_reps_is_refused(sales_world):
    w = sales_world
    lead = new_lead(w.admin)
    team = core.team_create(organization=w.org, name="空组")
    with pytest.raises(ValidationError) as exc:
        lead_assign_round_robin(actor=w.admin, lead=lead, team=team.pk)
    assert "team" in exc.value.message_dict
    assert Lead.objects.get(pk=lead.pk).owner == w.admin


def test_territory_assignment_goes_round_robin_among_the_territorys_reps(sales_world):
    w = sales_world
    east = w.territories["east"]
    territory_member_set(actor=w.admin, territory=east, user=w.rep_c, role="rep")
    territory_member_set(actor=w.admin, territory=east, user=w.manager_s2, role="rep")  # not a sales rep: skipped
    # 上海 has no reps of its own, so its leads go to 华东's reps in turn
    leads = [new_lead(w.admin, province="上海", name=f"沪{i}") for i in range(3)]
    assert {lead.territory for lead in leads} == {w.territories["shanghai"]}
    owners = [lead_assign_by_territory(actor=w.admin, lead=lead).owner for lead in leads]
    expected = sorted([w.rep_c, w.rep_d], key=lambda u: u.pk)
    assert owners == [expected[0], expected[1], expected[0]]
    north_lead = new_lead(w.admin, province="北京")
    with pytest.raises(ValidationError) as exc:  # 华北 has no reps
        lead_assign_by_territory(actor=w.admin, lead=north_lead)
    assert "territory" in exc.value.message_dict
    with pytest.raises(ValidationError):  # in no territory at all
        lead_assign_by_territory(actor=w.admin, lead=new_lead(w.admin, province="广东"))


# --- conversion -----------------------------------------------------------------------------

def test_convert_creates_customer_contact_and_opportunity_and_links_them(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a, company="星辰科技", title="采购经理", phone="13911112222", source="event",
                    campaign="春季展会", estimated_amount="8800", province="上海")
    result = lead_convert(actor=w.rep_a, lead=lead, opportunity_name="星辰 年度采购")
    customer, contact, opp = result.customer, result.contact, result.opportunity
    assert result.customer_created and customer.kind == "company" and customer.name == "星辰科技"
    assert customer.owner == w.rep_a and customer.source == "event" and customer.phone == "+8613911112222"
    assert contact.customer == customer and contact.name == "王芳" and contact.title == "采购经理"
    assert opp.customer == customer and opp.contact == contact and opp.amount == Decimal("8800.00")
    assert (opp.source, opp.campaign, opp.name) == ("event", "春季展会", "星辰 年度采购")
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_by == w.rep_a and lead.converted_at is not None
    assert (lead.converted_customer, lead.converted_contact, lead.converted_opportunity) == (customer, contact, opp)
    line = TimelineEvent.objects.get(customer=customer, kind=TimelineEvent.Kind.LEAD_CONVERTED)
    assert line.data["lead"] == lead.pk and line.data["campaign"] == "春季展会"


def test_convert_offers_the_existing_customer_and_reuses_it(sales_world):
    w = sales_world
    own = w.customers["own"]  # 张三, +8613800000001, rep_a's
    lead = new_lead(w.rep_a, name="张三", phone="13800000001", email="zs@example.com")
    counts = (Customer.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(DuplicateCustomer) as exc:
        lead_convert(actor=w.rep_a, lead=lead)
    assert [c.pk for c in exc.value.duplicates.visible] == [own.pk]
    assert (Customer.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == counts
    assert Lead.objects.get(pk=lead.pk).status == "new"
    result = lead_convert(actor=w.rep_a, lead=lead, customer=own.pk)
    assert result.customer == own and not result.customer_created
    assert Customer.objects.count() == counts[0]
    assert result.contact.customer == own and result.opportunity.customer == own
    assert Lead.objects.get(pk=lead.pk).converted_customer == own


def test_convert_to_a_customer_the_actor_cannot_change_is_refused(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a, phone="13800000002")  # the phone of rep_b's customer (visible to rep_a)
    with pytest.raises(ValidationError) as exc:
        lead_convert(actor=w.rep_a, lead=lead, customer=w.customers["team"].pk)
    assert "customer" in exc.value.message_dict
    with pytest.raises(ValidationError):  # one rep_a cannot see at all
        lead_convert(actor=w.rep_a, lead=lead, customer=w.customers["other_store"].pk)
    result = lead_convert(actor=w.rep_a, lead=lead, allow_duplicate=True, create_opportunity=False)
    assert result.customer_created and result.opportunity is None


def test_converting_twice_is_refused_even_from_a_stale_copy(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a, phone="13922223333")
    stale = Lead.objects.get(pk=lead.pk)  # read before the first conversion, as a racing request would
    lead_convert(actor=w.rep_a, lead=lead)
    counts = (Customer.objects.count(), Opportunity.objects.count())
    for copy in (lead, stale):
        with pytest.raises(ValidationError):
            lead_convert(actor=w.rep_a, lead=copy, allow_duplicate=True)
    assert (Customer.objects.count(), Opportunity.objects.count()) == counts
    with pytest.raises(ValidationError):  # nor changed afterwards
        lead_update(actor=w.rep_a, lead=lead, data={"name": "改名"})


def test_a_failed_step_rolls_the_whole_conversion_back(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a, phone="13933334444")
    counts = (Customer.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(ValidationError) as exc:
        lead_convert(actor=w.rep_a, lead=lead, stage=999999)
    assert "stage" in exc.value.message_dict
    assert (Customer.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == counts
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_convert_needs_the_convert_right_on_the_lead(sales_world):
    w = sales_world
    lead = new_lead(w.rep_a)
    for actor in (w.rep_b, w.marketing):  # a teammate sees it; marketing may not convert
        with pytest.raises(PermissionDenied):
            lead_convert(actor=actor, lead=lead)
    result = lead_convert(actor=w.manager, lead=lead, allow_duplicate=True)
    assert result.customer.owner == w.rep_a and result.opportunity.owner == w.rep_a
