"""The desk's routes: every page behind a login depends on current_user, every form on csrf_form."""

from fastapi.routing import APIRoute

from saring.desk.app import auth, csrf_form, current_user, pages


def _calls(route: APIRoute) -> set:
    return {d.call for d in route.dependant.dependencies}


def test_every_page_needs_a_user_and_every_post_a_csrf_token():
    assert len(auth.routes) + len(pages.routes) == 12
    for route in pages.routes:
        assert current_user in _calls(route), route.path
    for route in [*auth.routes, *pages.routes]:
        if "POST" in route.methods:
            assert csrf_form in _calls(route), route.path
