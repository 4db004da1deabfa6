// Course page: opening a course is a POST (a GET never starts an attempt or
// a launch), sent at once so that a link to a course opens it. Without
// scripts the learner presses the button.
(() => {
  const form = document.querySelector("form[data-auto-launch]");
  if (!form) return;
  // Coming back to this page with the browser's Back button shows it again
  // rather than opening the course a second time.
  if (performance.getEntriesByType("navigation")[0]?.type === "back_forward") return;
  form.requestSubmit();
})();
