// Web Push on this device (R-D03), on the notification settings page. «Включить» asks the
// browser's permission, subscribes with the district's public key (from the API) and gives the
// subscription to the platform; «Отключить» unsubscribes here and removes it there. The service
// worker is /sw.js, for the whole site. No inline script: the page loads this file.
(function () {
  "use strict";
  const box = document.getElementById("push");
  const on = document.getElementById("push-subscribe");
  const off = document.getElementById("push-unsubscribe");
  const status = document.getElementById("push-status");
  if (!box || !on || !off || !status) return;
  const api = box.dataset.api;
  const worker = box.dataset.sw;

  function say(text) { status.textContent = text; }
  function show(subscribed) { on.hidden = subscribed; off.hidden = !subscribed; }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("Этот браузер не поддерживает push-уведомления. На iPhone и iPad добавьте сайт на экран «Домой» и откройте его оттуда.");
    on.disabled = true;
    return;
  }

  function keyBytes(base64) {
    const padded = (base64 + "=".repeat((4 - base64.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }
  function sameKey(subscription, key) {
    const current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;  // the browser does not tell: assume it is ours
    const bytes = new Uint8Array(current);
    return bytes.length === key.length && bytes.every(function (b, i) { return b === key[i]; });
  }
  function csrf() {
    const input = box.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function call(method, body) {
    return fetch(api, {method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf()},
      body: body ? JSON.stringify(body) : undefined});
  }
  async function serverKey() {
    const response = await call("GET");
    if (!response.ok) throw new Error("сервер ответил " + response.status);
    const data = await response.json();
    return data.enabled ? data.public_key : "";
  }
  async function save(subscription) {
    const json = subscription.toJSON();
    const response = await call("POST", {endpoint: json.endpoint, keys: json.keys});
    if (!response.ok) throw new Error("подписка не сохранена (" + response.status + ")");
  }
  async function current() {
    const registration = await navigator.serviceWorker.getRegistration("/");
    return registration ? registration.pushManager.getSubscription() : null;
  }

  on.addEventListener("click", async function () {
    on.disabled = true;
    try {
      // First, while the click still counts as the person's gesture (Safari insists).
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say("Уведомления запрещены в настройках браузера. Разрешите их для этого сайта и нажмите ещё раз.");
        return;
      }
      const key = await serverKey();
      if (!key) { say("Push-уведомления выключены на сервере."); return; }
      await navigator.serviceWorker.register(worker, {scope: "/"});
      const registration = await navigator.serviceWorker.ready;
      let subscription = await registration.pushManager.getSubscription();
      if (subscription && !sameKey(subscription, keyBytes(key))) {
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription = subscription || await registration.pushManager.subscribe({userVisibleOnly: true,
        applicationServerKey: keyBytes(key)});
      await save(subscription);
      show(true);
      say("Push-уведомления включены на этом устройстве.");
    } catch (e) {
      say("Не удалось включить push-уведомления: " + (e && e.message ? e.message : e));
    } finally {
      on.disabled = false;
    }
  });

  off.addEventListener("click", async function () {
    off.disabled = true;
    try {
      const subscription = await current();
      if (subscription) {
        const endpoint = subscription.endpoint;
        await subscription.unsubscribe();
        const response = await call("DELETE", {endpoint: endpoint});
        if (!response.ok && response.status !== 404) throw new Error("сервер ответил " + response.status);
      }
      show(false);
      say("Push-уведомления на этом устройстве отключены.");
    } catch (e) {
      say("Не удалось отключить push-уведомления: " + (e && e.message ? e.message : e));
    } finally {
      off.disabled = false;
    }
  });

  // On opening the page: show whether this device is subscribed; if the district changed its
  // key, subscribe again with the new one (the permission is already given, nothing is asked).
  (async function () {
    try {
      const subscription = await current();
      if (!subscription || Notification.permission !== "granted") { show(false); return; }
      const key = await serverKey();
      if (key && !sameKey(subscription, keyBytes(key))) {
        await subscription.unsubscribe();
        const registration = await navigator.serviceWorker.ready;
        await save(await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(key)}));
      }
      show(true);
      say("Push-уведомления включены на этом устройстве.");
    } catch (e) {
      show(false);
    }
  })();
})();
