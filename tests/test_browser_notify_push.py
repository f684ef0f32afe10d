"""Web Push on the settings page in headless Chromium against the live server (R-D03).

A parent opens «Оповещения», presses «Включить push-уведомления»: the page registers the service
worker /sw.js for the whole site (the browser refuses a wrong scope, type or header), subscribes
with the district's key taken from the API and saves the subscription; after a reload the page
shows «Отключить», which removes it. A push delivered to the worker (DevTools protocol) shows the
notice. Headless Chromium has no connection to a vendor's push service, so PushManager's two
calls are replaced by a stand-in returning a subscription with real keys; everything else is the
browser's own. The browser, the page and the clean-up are tests/test_browser.py's fixtures."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings

from accounts.roles import Role
from notify import push
from notify.models import PushSubscription
from tests import test_browser as browser_tests
from tests.browser_support import PHONE
from tests.test_notify_push import browser_keys

expect = browser_tests.expect
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]
browser, page, _committed_schools_cleanup = browser_tests.browser, browser_tests.page, browser_tests._committed_schools_cleanup
PASSWORD = browser_tests.PASSWORD
ENDPOINT = "https://fcm.googleapis.com/fcm/send/browser-test"

# PushManager stand-in: the subscription survives reloads (localStorage), as a browser's does.
FAKE_PUSH_MANAGER = """
(() => {
  const KEYS = %s, ENDPOINT = %s;
  const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)).buffer;
  function made(key) {
    return {endpoint: ENDPOINT, options: {applicationServerKey: unb64(key)},
      toJSON() { return {endpoint: ENDPOINT, keys: KEYS}; },
      async unsubscribe() { localStorage.removeItem("fake-push"); return true; }};
  }
  PushManager.prototype.subscribe = async function (options) {
    const key = b64(options.applicationServerKey);
    localStorage.setItem("fake-push", key);
    return made(key);
  };
  PushManager.prototype.getSubscription = async function () {
    const key = localStorage.getItem("fake-push");
    return key ? made(key) : null;
  };
})();
"""


@pytest.fixture
def parent(school_a: Any, make_person: Any, grant: Any, settings: Any) -> Any:
    settings.NOTIFY_VAPID_PUBLIC_KEY, settings.NOTIFY_VAPID_PRIVATE_KEY = push.new_key_pair()
    settings.NOTIFY_PUSH_ENABLED = True
    person = make_person("Смирнова", "Татьяна", password=PASSWORD, login="smirnova.push")
    grant(person, Role.PARENT, school_a)
    return person


def test_parent_switches_push_on_and_off_on_a_phone(page: Any, parent: Any, live_server: Any) -> None:
    """R-D03: «Включить push-уведомления» → the worker at /sw.js controls the whole site, the
    subscription (made with the district's key) is saved; «Отключить» removes it."""
    keys, _, _ = browser_keys()
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.add_init_script(FAKE_PUSH_MANAGER % (json.dumps(keys), json.dumps(ENDPOINT)))
    page.set_viewport_size(PHONE)
    browser_tests.sign_in(page, "smirnova.push", PASSWORD)
    page.goto("/notify/")
    expect(page.get_by_test_id("push-unsubscribe")).to_be_hidden()

    page.get_by_role("button", name="Включить push-уведомления").click()

    expect(page.locator("#push-status")).to_have_text("Push-уведомления включены на этом устройстве.")
    sub = PushSubscription.objects.get(person=parent)
    assert sub.endpoint == ENDPOINT and sub.p256dh == keys["p256dh"] and sub.auth == keys["auth"]
    scope = page.evaluate("navigator.serviceWorker.getRegistration('/').then(r => r && r.scope)")
    assert scope == live_server.url + "/"
    used_key = page.evaluate("localStorage.getItem('fake-push')")
    assert used_key.rstrip("=").replace("+", "-").replace("/", "_") == settings.NOTIFY_VAPID_PUBLIC_KEY

    page.reload()
    expect(page.get_by_test_id("push-unsubscribe")).to_be_visible()
    expect(page.get_by_test_id("push-subscribe")).to_be_hidden()
    page.get_by_role("button", name="Отключить").click()
    expect(page.locator("#push-status")).to_have_text("Push-уведомления на этом устройстве отключены.")
    assert not PushSubscription.objects.exists()
    expect(page.get_by_test_id("push-subscribe")).to_be_visible()


def test_service_worker_shows_a_pushed_notice(page: Any, parent: Any, live_server: Any) -> None:
    """R-D03: a push {title, body, url} delivered to the worker becomes a notification that
    opens this site's page; a foreign url in a payload is replaced by the notices list."""
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    browser_tests.sign_in(page, "smirnova.push", PASSWORD)
    page.goto("/notify/")
    page.evaluate("navigator.serviceWorker.register('/sw.js', {scope: '/'}).then(() => navigator.serviceWorker.ready)")
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):  # the registrations arrive as an event shortly after `enable`
        ours = [r["registrationId"] for r in registrations if r["scopeURL"] == live_server.url + "/" and not r["isDeleted"]]
        if ours:
            break
        page.wait_for_timeout(100)
    registration_id = ours[0]
    for payload in ({"title": "Итоговая отметка", "body": "Артём: математика — 5", "url": "/notify/notices/", "id": 7},
                    {"title": "Чужая ссылка", "body": "…", "url": "https://evil.example/", "id": 8}):
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server.url, "registrationId": registration_id,
                                                      "data": json.dumps(payload, ensure_ascii=False)})
    page.wait_for_function("navigator.serviceWorker.ready.then(r => r.getNotifications()).then(n => n.length === 2)")
    shown = page.evaluate("navigator.serviceWorker.ready.then(r => r.getNotifications())"
                          ".then(ns => ns.map(n => [n.title, n.body, n.tag, n.data.url]))")
    assert sorted(shown) == sorted([
        ["Итоговая отметка", "Артём: математика — 5", "notice-7", live_server.url + "/notify/notices/"],
        ["Чужая ссылка", "…", "notice-8", live_server.url + "/notify/notices/"],
    ])
