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

// Where focus goes in swapped-in content when the swap removed the focused element (htmx
// itself refocuses an element with the same id): what the fragment marks to be read first,
// else the first field with an error, else its heading.
function focusTarget(root) {
  return (root.matches("[data-app-focus]") && root) || root.querySelector("[data-app-focus]")
    || root.querySelector(".nhsuk-form-group--error :is(input, select, textarea)")
    || root.querySelector("h2, h3, h4");
}

// Whether focus was inside the content an htmx response is about to replace.
let focusWasInTarget = false;
document.addEventListener("htmx:beforeSwap", (event) => {
  const active = document.activeElement;
  focusWasInTarget = Boolean(active && active !== document.body && event.detail.target
    && event.detail.target.contains(active));
});

document.addEventListener("htmx:afterSwap", (event) => {
  // event.target is the content swapped in (the requesting element may have been replaced).
  const swapped = event.target;
  if (!swapped.isConnected) {
    return;
  }
  // Components in swapped-in content need starting too; initAll searches inside the scope.
  if (swapped.parentElement) {
    initAll({ scope: swapped.parentElement, onError: reportUnlessStarted });
  }
  // Keyboard and screen-reader users would otherwise be sent back to the top of the page.
  const active = document.activeElement;
  if (focusWasInTarget && (!active || active === document.body)) {
    const target = focusTarget(swapped);  // none in an out-of-band part of the answer
    if (target) {
      focusWasInTarget = false;
      if (!target.matches("input, select, textarea, button, a[href]")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }
});

document.addEventListener("htmx:configRequest", (event) => {
  // Every htmx request carries the CSRF token of this page.
  const field = document.querySelector('input[name="csrf_token"]');
  if (field) {
    event.detail.headers["X-CSRF-Token"] = field.value;
  }
});

// A form marked data-app-unsaved warns before the person leaves the page with changes they
// typed and have not saved. Saving needs no JavaScript; this only guards against losing work.
const unsaved = new Set();
document.addEventListener("input", (event) => {
  const form = event.target.form;
  if (form && form.hasAttribute("data-app-unsaved")) {
    unsaved.add(form);
  }
});
document.addEventListener("submit", (event) => unsaved.delete(event.target));
document.addEventListener("htmx:afterRequest", (event) => {
  // A part of a form saved by htmx (a rating, an action) is saved: the form is clean again
  // once every change in it has gone, which is when its request succeeded.
  const form = event.detail.elt && event.detail.elt.closest("form");
  if (form && event.detail.successful) {
    unsaved.delete(form);
  }
});
window.addEventListener("beforeunload", (event) => {
  if ([...unsaved].some((form) => form.isConnected)) {
    event.preventDefault();
    event.returnValue = "";
  }
});
