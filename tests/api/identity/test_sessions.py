from tests.helpers import REGISTER

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken user { email } errors { field code message } }
}"""

REFRESH = """
mutation Refresh($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) { accessToken refreshToken errors { field code message } }
}"""

LOGOUT = """
mutation Logout($input: LogoutInput!) { logout(input: $input) { ok errors { field code } } }
"""

ME = "{ me { id email name } }"


async def test_register_then_me(gql):
    person = await gql.person("Ana@Example.com")
    data = await gql.data(ME, token=person.token)
    assert data["me"]["email"] == "ana@example.com"
    assert data["me"]["id"] == person.user_id


async def test_register_reports_every_problem(gql):
    payload = await gql.mutate(
        "register",
        REGISTER,
        {"email": "not-an-email", "password": "short", "name": ""},
        expect_errors=True,
    )
    codes = {(error["field"], error["code"]) for error in payload["errors"]}
    assert codes == {("email", "INVALID"), ("password", "TOO_SHORT"), ("name", "REQUIRED")}
    assert payload["user"] is None and payload["accessToken"] is None


async def test_register_duplicate_email(gql):
    await gql.person("dup@example.com")
    payload = await gql.mutate(
        "register",
        REGISTER,
        {"email": "DUP@example.com", "password": "long enough password", "name": "x"},
        expect_errors=True,
    )
    assert payload["errors"][0]["code"] == "ALREADY_EXISTS"


async def test_login_right_and_wrong(gql):
    await gql.person("login@example.com", password="the right password")
    ok = await gql.mutate(
        "login", LOGIN, {"email": "login@example.com", "password": "the right password"}
    )
    assert ok["user"]["email"] == "login@example.com" and ok["accessToken"]
    for email, password in [
        ("login@example.com", "the wrong password"),
        ("nobody@example.com", "the right password"),
    ]:
        bad = await gql.mutate(
            "login", LOGIN, {"email": email, "password": password}, expect_errors=True
        )
        assert bad["errors"] == [
            {
                "field": None,
                "code": "INVALID_CREDENTIALS",
                "message": "Email or password is incorrect",
            }
        ]
        assert bad["accessToken"] is None


async def test_refresh_rotates_and_reuse_revokes_the_family(gql):
    person = await gql.person()
    first = await gql.mutate("tokenRefresh", REFRESH, {"refreshToken": person.refresh_token})
    assert first["refreshToken"] != person.refresh_token
    second = await gql.mutate("tokenRefresh", REFRESH, {"refreshToken": first["refreshToken"]})

    reused = await gql.mutate(
        "tokenRefresh", REFRESH, {"refreshToken": person.refresh_token}, expect_errors=True
    )
    assert reused["errors"][0]["code"] == "TOKEN_REUSED"
    # The newest token of the family died with it.
    after = await gql.mutate(
        "tokenRefresh", REFRESH, {"refreshToken": second["refreshToken"]}, expect_errors=True
    )
    assert after["errors"][0]["code"] == "TOKEN_INVALID"


async def test_refresh_with_garbage(gql):
    payload = await gql.mutate(
        "tokenRefresh", REFRESH, {"refreshToken": "nope"}, expect_errors=True
    )
    assert payload["errors"][0] == {
        "field": "refreshToken",
        "code": "TOKEN_INVALID",
        "message": "Refresh token is invalid or revoked",
    }


async def test_logout_revokes_the_session(gql):
    person = await gql.person()
    out = await gql.mutate(
        "logout", LOGOUT, {"refreshToken": person.refresh_token}, token=person.token
    )
    assert out["ok"] is True
    payload = await gql.mutate(
        "tokenRefresh", REFRESH, {"refreshToken": person.refresh_token}, expect_errors=True
    )
    assert payload["errors"][0]["code"] == "TOKEN_INVALID"


async def test_logout_cannot_end_someone_elses_session(gql):
    victim = await gql.person()
    attacker = await gql.person()
    out = await gql.mutate(
        "logout",
        LOGOUT,
        {"refreshToken": victim.refresh_token},
        token=attacker.token,
        expect_errors=True,
    )
    assert out["ok"] is False
    assert (await gql.mutate("tokenRefresh", REFRESH, {"refreshToken": victim.refresh_token}))[
        "accessToken"
    ]
