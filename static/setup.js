// Set-up page: start the time-zone field at the browser's own zone, which is
// usually the organisation's, while it still shows the default.
(() => {
  const field = document.querySelector("[data-guess-zone]");
  if (!field || field.value !== "UTC") return;
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) field.value = zone;
  } catch (e) { /* an old browser: UTC stays */ }
})();
