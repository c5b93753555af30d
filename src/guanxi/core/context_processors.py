from guanxi.core.navigation import navigation_for


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    from guanxi.core.notifications import unread_count

    return {"nav_items": navigation_for(request), "unread_notifications": unread_count(user)}
