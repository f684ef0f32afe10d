import pytest

pytestmark = pytest.mark.django_db


def test_landing_and_login_pages_render(client):
    assert client.get("/").status_code == 200
    r = client.get("/login/")
    assert r.status_code == 200
    assert "Вход в Журнал" in r.content.decode()


def test_school_home_for_member(school_a, make_person, grant, client_for):
    teacher = make_person("Петров", "Пётр")
    grant(teacher, "teacher", school_a)
    r = client_for(teacher).get("/s/alpha/")
    assert r.status_code == 200
    assert "Школа Альфа" in r.content.decode()
