// Subscribes this browser to Web Push and sends the subscription to the platform.
(function () {
  const box = document.getElementById("push");
  const button = document.getElementById("push-subscribe");
  const status = document.getElementById("push-status");
  if (!box || !button) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = "Этот браузер не поддерживает push-уведомления.";
    button.disabled = true;
    return;
  }
  function keyBytes(base64) {
    const padded = (base64 + "=".repeat((4 - base64.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), c => c.charCodeAt(0));
  }
  function csrf() {
    const m = document.cookie.match(/csrftoken=([^;]+)/);
    return m ? m[1] : "";
  }
  button.addEventListener("click", async function () {
    try {
      const registration = await navigator.serviceWorker.register(button.dataset.sw);
      const permission = await Notification.requestPermission();
      if (permission !== "granted") { status.textContent = "Уведомления запрещены в настройках браузера."; return; }
      const sub = await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey)});
      const body = sub.toJSON();
      const response = await fetch(button.dataset.url, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
        body: JSON.stringify({endpoint: body.endpoint, keys: body.keys})});
      status.textContent = response.ok ? "Уведомления включены на этом устройстве." : "Не удалось сохранить подписку.";
    } catch (e) {
      status.textContent = "Не удалось включить уведомления: " + e;
    }
  });
})();
