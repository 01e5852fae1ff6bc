"""The desk's routes: every page behind a login depends on current_user, every form on csrf_form."""

from fastapi.routing import APIRoute

from saring.desk.app import create_app, csrf_form, current_user


def _calls(route: APIRoute) -> set:
    return {d.call for d in route.dependant.dependencies}


def test_every_page_needs_a_user_and_every_post_a_csrf_token(tmp_path):
    app = create_app(tmp_path / "none.duckdb", secret_key="k")
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert len(routes) == 12
    for route in routes:
        if route.path not in ("/login", "/logout"):
            assert current_user in _calls(route), route.path
        if "POST" in route.methods:
            assert csrf_form in _calls(route), route.path
