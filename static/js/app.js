// Small behaviours for the whole service. Loaded as a module; no inline scripts (strict CSP).
import { initAll } from "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

// Components that were already started are skipped quietly when a swapped-in fragment is
// started again; any other failure is reported, not swallowed.
function reportUnlessStarted(error) {
  if (error && error.name !== "InitError") {
    console.error(error);
  }
}

document.addEventListener("htmx:afterSwap", (event) => {
  // Components in swapped-in content need starting too; initAll searches inside the scope.
  const scope = event.detail.elt && event.detail.elt.parentElement;
  if (scope) {
    initAll({ scope, onError: reportUnlessStarted });
  }
});

document.addEventListener("htmx:configRequest", (event) => {
  // Every htmx request carries the CSRF token of this page.
  const field = document.querySelector('input[name="csrf_token"]');
  if (field) {
    event.detail.headers["X-CSRF-Token"] = field.value;
  }
});
