/* A job in progress (export, index rebuild: templates/staff/job.html): follow the
 * « Actualiser » link by itself every 2 s (no meta refresh; without JS the link stays). */
(function () {
  "use strict";

  var Portail = window.Portail;

  function initJobRefresh(root) {
    var link = root.querySelector("a[data-job-refresh]");
    if (link) window.setTimeout(function () { window.location.assign(link.href); }, 2000);
  }

  Portail.register(initJobRefresh);
})();
