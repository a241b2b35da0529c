from tests.conftest import login


def test_branch_home_shows_this_year(client, world):
    login(client, "b1")
    response = client.get("/selfcheck/")
    assert response.status_code == 200
    assert b"B1" in response.data
