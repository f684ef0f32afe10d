// Service worker of the whole site, served at /sw.js (notify.views.service_worker). It shows a
// pushed notice and opens its page when tapped; it handles no page loads (no fetch handler).
// The payload is JSON {title, body, url, id} (notify/push.py payload_of).
"use strict";

const FALLBACK = "/notify/notices/";

// Only pages of this site are opened, whatever a payload says.
function pageOf(url) {
  try {
    const target = new URL(url || FALLBACK, self.location.origin);
    if (target.origin === self.location.origin) return target.href;
  } catch (e) { /* not a URL */ }
  return new URL(FALLBACK, self.location.origin).href;
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  let data = {title: "Журнал", body: "", url: FALLBACK};
  if (event.data) {
    try { data = Object.assign(data, event.data.json()); } catch (e) { data.body = event.data.text(); }
  }
  const options = {body: data.body || "", lang: "ru", data: {url: pageOf(data.url)}};
  if (data.id) options.tag = "notice-" + data.id;  // the same notice twice shows once
  event.waitUntil(self.registration.showNotification(data.title || "Журнал", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const url = pageOf(event.notification.data && event.notification.data.url);
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    for (const client of windows) {
      if (client.url === url && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(url);
  }));
});
