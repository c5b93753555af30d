from ninja import Router, Schema

router = Router(tags=["me"])


class ErrorOut(Schema):
    """Every error: a message for people and, for bad input, {field: [messages]}."""

    detail: str
    errors: dict[str, list[str]]


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    organization_id: int
    store_id: int | None
    team_id: int | None
    language: str


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The user behind the token", operation_id="me")
def me(request):
    u = request.auth
    return MeOut(id=u.pk, username=u.username, name=u.display_name, role=u.role, organization_id=u.organization_id,
                 store_id=u.store_id, team_id=u.team_id, language=u.language or u.organization.default_language)
