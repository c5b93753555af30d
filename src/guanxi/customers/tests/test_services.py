"""Customer and contact services: validation, ownership, duplicates, merge, audit, timeline."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.core.models import AuditEntry
from guanxi.customers import selectors, services
from guanxi.customers.models import Attachment, Contact, Customer, SearchKey, Tag, TimelineEvent


def create(world, user="rep_a", **data):
    data.setdefault("name", "李四")
    return services.customer_create(actor=world.users[user], data=data)


def test_create_normalises_phone_and_builds_pinyin_keys_and_audit(world):
    c = create(world, name="曾国藩", kind="person", phone="139 1234 5678", email=" Zeng@Example.COM ", tags="VIP, 老客户")
    c.refresh_from_db()
    assert (c.phone, c.email, c.name_pinyin, c.name_initials) == ("+8613912345678", "zeng@example.com", "zengguofan", "zgf")
    assert c.owner == world.rep_a and c.store == world.stores["S1"] and c.created_by == world.rep_a
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "老客户"]
    keys = set(SearchKey.objects.filter(customer=c).values_list("key", flat=True))
    assert {"zengguofan", "zgf", "国藩", "13912345678", "5678", "zeng@example.com"} <= keys
    entry = AuditEntry.objects.get(object_type="customers.customer", object_id=str(c.pk), action="create")
    assert entry.actor == world.rep_a and entry.changes["phone"] == [None, "+8613912345678"]
    assert TimelineEvent.objects.filter(customer=c, kind="created").count() == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": ""}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"stage": "nonsense"}, "stage"),
        ({"name": "bad\x00name"}, "name"),
        ({"organization": 99}, "organization"),
        ({"id": 5}, "id"),
        ({"tags": ["x" * 51]}, "tags"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, data, field):
    before = (Customer.objects.count(), AuditEntry.objects.count(), Tag.objects.count())
    with pytest.raises(ValidationError) as exc:
        create(world, **{"name": "王五", **data})
    assert field in exc.value.message_dict
    assert (Customer.objects.count(), AuditEntry.objects.count(), Tag.objects.count()) == before


def test_sales_rep_cannot_assign_owner_outside_own_scope(world):
    with pytest.raises(ValidationError) as exc:
        create(world, name="赵六", owner=world.rep_c.pk)
    assert "owner" in exc.value.message_dict
    assert not Customer.objects.filter(name="赵六").exists()


def test_manager_assigns_within_store_only(world):
    c = create(world, user="manager", name="孙七", owner=world.rep_c.pk)
    assert c.owner == world.rep_c
    with pytest.raises(ValidationError):
        create(world, user="manager", name="周八", owner=world.rep_d.pk)  # rep_d works in store S2
    with pytest.raises(ValidationError):
        create(world, user="manager", name="吴九", store=world.stores["S2"].pk)


def test_readonly_and_deactivated_cannot_create(world):
    for user in ("readonly", "deactivated", "marketing"):
        with pytest.raises(PermissionDenied):
            create(world, user=user, name="无权")
    assert not Customer.objects.filter(name="无权").exists()


def test_duplicate_by_phone_warns_with_visible_and_hidden_matches(world):
    # rep_c's customer 单田芳 has 13800000003; rep_a cannot see it (other team).
    with pytest.raises(services.DuplicateCustomer) as exc:
        create(world, name="新客户", phone="13800000003")
    assert exc.value.duplicates.visible == [] and exc.value.duplicates.hidden == 1
    with pytest.raises(services.DuplicateCustomer) as exc:
        create(world, user="manager", name="新客户", phone="+86 138 0000 0003")
    assert [c.name for c in exc.value.duplicates.visible] == ["单田芳"]
    confirmed = services.customer_create(actor=world.manager, data={"name": "新客户", "phone": "13800000003"},
                                         allow_duplicate=True)
    assert Customer.objects.filter(phone="+8613800000003").count() == 2 and confirmed.owner == world.manager


def test_duplicate_by_email_and_by_pinyin(world):
    create(world, name="王伟", kind="person", email="ww@example.com", phone="13911112222")
    with pytest.raises(services.DuplicateCustomer):
        create(world, name="Other", email="WW@example.com")
    with pytest.raises(services.DuplicateCustomer):
        create(world, name="汪伟", kind="person")  # same pinyin wangwei
    assert services.customer_create(actor=world.rep_a, data={"name": "汪伟", "kind": "person"}, allow_duplicate=True)


def test_update_records_field_diff_and_reindexes(world):
    c = world.customers["own"]
    services.customer_update(actor=world.rep_a, customer=c, data={"name": "张三丰", "phone": "13700001111", "tags": ["武当"]})
    entry = AuditEntry.objects.filter(object_id=str(c.pk), action="update").latest("at")
    assert entry.changes["name"] == ["张三", "张三丰"]
    assert entry.changes["phone"] == ["+8613800000001", "+8613700001111"]
    assert entry.changes["tags"] == [[], ["武当"]]
    assert [x.name for x in selectors.global_search(actor=world.rep_a, q="zsf")["customers"]] == ["张三丰"]
    assert selectors.global_search(actor=world.rep_a, q="13800000001")["customers"] == []


def test_same_team_rep_cannot_change_or_delete(world):
    c = world.customers["own"]
    with pytest.raises(PermissionDenied):
        services.customer_update(actor=world.rep_b, customer=c, data={"name": "改名"})
    with pytest.raises(PermissionDenied):
        services.customer_delete(actor=world.rep_b, customer=c)
    c.refresh_from_db()
    assert c.name == "张三"


def test_owner_change_by_rep_to_colleague_is_refused(world):
    c = world.customers["own"]
    with pytest.raises(ValidationError):
        services.customer_update(actor=world.rep_a, customer=c, data={"owner": world.rep_b.pk})
    c.refresh_from_db()
    assert c.owner == world.rep_a


def test_merge_moves_everything_and_is_audited(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    target, source = world.customers["own"], world.customers["team"]
    source_pk = source.pk
    services.customer_update(actor=world.admin, customer=source, data={"email": "zxm@example.com", "tags": ["老客户"]})
    contact = services.contact_create(actor=world.admin, customer=source, data={"name": "李秘书", "phone": "13655556666"})
    services.note_add(actor=world.admin, customer=source, body="上次拜访很顺利")
    services.attachment_add(actor=world.admin, customer=source, upload=SimpleUploadedFile("合同.pdf", b"%PDF-1.4"))

    merged = services.customer_merge(actor=world.admin, target=target, source=source)

    assert not Customer.objects.filter(pk=source_pk).exists()
    assert merged.email == "zxm@example.com" and merged.phone2 == "+8613800000002"
    assert list(Contact.objects.filter(customer=target)) == [contact]
    assert TimelineEvent.objects.filter(customer=target, kind="note", body="上次拜访很顺利").exists()
    assert Attachment.objects.filter(customer=target, original_name="合同.pdf").exists()
    assert [t.name for t in merged.tags.all()] == ["老客户"]
    assert AuditEntry.objects.filter(action="merge", object_id=str(target.pk)).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(source_pk), changes__merged_into=[None, target.pk]).exists()
    # The merged contact is still found through its customer.
    assert [x.name for x in selectors.global_search(actor=world.admin, q="lms")["contacts"]] == ["李秘书"]


def test_merge_needs_merge_permission_on_both(world):
    with pytest.raises(PermissionDenied):
        services.customer_merge(actor=world.rep_a, target=world.customers["own"], source=world.customers["team"])
    with pytest.raises(PermissionDenied):
        services.customer_merge(actor=world.manager, target=world.customers["own"], source=world.customers["other_store"])
    assert Customer.objects.filter(pk=world.customers["team"].pk).exists()
    with pytest.raises(ValidationError):
        services.customer_merge(actor=world.admin, target=world.customers["own"], source=world.customers["own"])


def test_contacts_reports_to_tree_and_loop_refused(world):
    c = world.customers["own"]
    boss = services.contact_create(actor=world.rep_a, customer=c, data={"name": "王总", "title": "总经理"})
    mid = services.contact_create(actor=world.rep_a, customer=c, data={"name": "李经理", "reports_to": boss.pk})
    services.contact_create(actor=world.rep_a, customer=c, data={"name": "赵专员", "reports_to": mid.pk})
    tree = selectors.org_chart(customer=c)
    assert [n.contact.name for n in tree] == ["王总"]
    assert [n.contact.name for n in tree[0].reports] == ["李经理"]
    assert [n.contact.name for n in tree[0].reports[0].reports] == ["赵专员"]
    with pytest.raises(ValidationError) as exc:
        services.contact_update(actor=world.rep_a, contact=boss, data={"reports_to": mid.pk})
    assert "reports_to" in exc.value.message_dict
    other = services.contact_create(actor=world.admin, customer=world.customers["team"], data={"name": "外人"})
    with pytest.raises(ValidationError):
        services.contact_update(actor=world.rep_a, contact=mid, data={"reports_to": other.pk})


def test_contact_changes_need_change_permission_on_customer(world):
    with pytest.raises(PermissionDenied):
        services.contact_create(actor=world.rep_b, customer=world.customers["own"], data={"name": "无权"})
    assert not Contact.objects.filter(name="无权").exists()


def test_attachment_size_limit(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        services.attachment_add(actor=world.rep_a, customer=world.customers["own"], upload=SimpleUploadedFile("a.txt", b"x" * 11))
    att = services.attachment_add(actor=world.rep_a, customer=world.customers["own"], upload=SimpleUploadedFile("../../etc/passwd", b"x"))
    assert ".." not in att.file.name and att.file.name.startswith(f"attachments/{world.org.pk}/")


def test_external_id_taken_is_a_field_error_not_a_crash(world):
    services.customer_update(actor=world.admin, customer=world.customers["own"], data={"external_id": "ERP-1"})
    with pytest.raises(ValidationError) as exc:
        services.customer_update(actor=world.admin, customer=world.customers["team"], data={"external_id": "ERP-1"})
    assert "external_id" in exc.value.message_dict
    # Another organisation may use the same external id.
    services.customer_update(actor=world.admin_b, customer=world.customers["other_org"], data={"external_id": "ERP-1"})
