// Service worker: shows a pushed notice and opens the notices list when it is tapped.
self.addEventListener("push", function (event) {
  let data = {title: "Журнал", body: "", url: "/notify/notices/"};
  try { data = Object.assign(data, event.data.json()); } catch (e) { /* plain text */ }
  event.waitUntil(self.registration.showNotification(data.title, {body: data.body, data: {url: data.url}, lang: "ru"}));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url || "/notify/notices/"));
});
