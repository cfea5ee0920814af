// Follows a background job (or a rebuild of the search index, whose status resource has the
// same `status` and `progress` fields): polls its status resource, moves the progress bar,
// and when the job has finished reloads the page, which then shows the result. Without
// JavaScript the page offers a link to the job's status page instead.
(function () {
  "use strict";
  var el = document.querySelector("[data-job-status]");
  if (!el || !window.fetch) {
    return;
  }
  var url = el.getAttribute("data-job-status");
  var bar = el.querySelector("progress");
  var text = el.querySelector("[data-job-count]");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : Promise.reject(r.status);
      })
      .then(function (job) {
        if (job.status === "done" || job.status === "dead" || job.status === "failed") {
          window.location.reload();
          return;
        }
        var p = job.progress;
        if (p && p.total) {
          bar.max = p.total;
          bar.value = p.done;
          if (text) {
            text.textContent = p.done + " / " + p.total;
          }
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 500);
})();
