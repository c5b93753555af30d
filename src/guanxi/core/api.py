from ninja import Router, Schema

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    organization_id: int
    store_id: int | None
    team_id: int | None
    language: str


@router.get("/me", response=MeOut, summary="The user behind the token")
def me(request):
    u = request.auth
    return MeOut(id=u.pk, username=u.username, name=u.display_name, role=u.role, organization_id=u.organization_id,
                 store_id=u.store_id, team_id=u.team_id, language=u.language or u.organization.default_language)
