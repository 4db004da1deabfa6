// Upload forms marked data-upload send their file with XMLHttpRequest so the
// admin sees a progress bar; without JavaScript the form posts normally.
"use strict";
document.querySelectorAll("form[data-upload]").forEach((form) => {
  const bar = form.querySelector("progress");
  const status = form.querySelector(".status");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", data.get("_csrf") || "");
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        if (e.loaded === e.total) status.textContent = "Checking the package…";
      }
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status === 201 && body.url) {
        status.textContent = "Imported.";
        window.location.assign(body.url);
        return;
      }
      button.disabled = false;
      bar.hidden = true;
      status.textContent = "The package was not imported: " + (body.error || ("the server answered " + xhr.status));
      status.classList.add("error");
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      bar.hidden = true;
      status.textContent = "The upload failed: the connection was lost. Try again.";
      status.classList.add("error");
    });
    status.classList.remove("error");
    xhr.send(data);
  });
});
