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

// A form that holds what someone sent and has not been saved yet (the kept form after a
// lapsed session) counts as unsaved from the start.
document.querySelectorAll("form[data-app-unsaved-now]").forEach((form) => unsaved.add(form));

// The session ends after a time without activity. Before that, a dialog says so and offers
// to stay signed in (WCAG 2.2.1); a form sent after the end is kept for its sender anyway.
const sessionDialog = document.getElementById("session-warning");
if (sessionDialog && typeof sessionDialog.showModal === "function") {
  const limit = Number(sessionDialog.dataset.limitSeconds) * 1000;
  const warnFor = Number(sessionDialog.dataset.warnSeconds) * 1000;
  const left = sessionDialog.querySelector("[data-app-session-left]");
  const stay = sessionDialog.querySelector("[data-app-stay-signed-in]");
  const close = sessionDialog.querySelector("[data-app-session-close]");
  let deadline = Date.now() + limit;
  let ticker = null;

  const words = (ms) => {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return `${minutes} minute${minutes === 1 ? "" : "s"}`;
    }
    return `${seconds} second${seconds === 1 ? "" : "s"}`;
  };
  const showEnded = () => {
    sessionDialog.querySelector("[data-app-session-text]").hidden = true;
    sessionDialog.querySelector("[data-app-session-ended]").hidden = false;
    sessionDialog.querySelector("#session-warning-title").textContent = "You have been signed out";
    stay.hidden = true;
    close.hidden = false;
    if (!sessionDialog.open) {
      sessionDialog.showModal();
    }
    close.focus();
  };
  const tick = () => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      clearInterval(ticker);
      ticker = null;
      showEnded();
    } else if (remaining <= warnFor) {
      // Updated once a minute, then every 20 seconds at the end, so screen readers are not
      // interrupted each second.
      const text = words(remaining);
      if (left.textContent !== text && (remaining > 60000 || Math.round(remaining / 1000) % 20 === 0)) {
        left.textContent = text;
      }
      if (!sessionDialog.open) {
        left.textContent = text;
        sessionDialog.showModal();
        stay.focus();
      }
    }
  };
  const restart = () => {
    deadline = Date.now() + limit;
    if (sessionDialog.open && !stay.hidden) {
      sessionDialog.close();
    }
    if (!ticker) {
      ticker = setInterval(tick, 1000);
    }
  };
  ticker = setInterval(tick, 1000);
  stay.addEventListener("click", async () => {
    const csrf = document.querySelector('input[name="csrf_token"]');
    const answer = await fetch("/session/keep-alive", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf ? csrf.value : "" },
    }).catch(() => null);
    if (answer && answer.ok) {
      restart();
    } else {
      showEnded();
    }
  });
  close.addEventListener("click", () => sessionDialog.close());
  sessionDialog.addEventListener("cancel", (event) => {
    // Escape means "I am still here" while there is time left.
    if (!stay.hidden) {
      event.preventDefault();
      stay.click();
    }
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful) {
      restart();
    }
  });
}

// The consensus meeting: the left and right arrow keys move between challenges, unless
// someone is typing or choosing in the form.
if (document.querySelector("[data-app-meeting]")) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey
        || event.target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    const link = event.key === "ArrowRight" ? document.querySelector("[data-app-next]")
      : event.key === "ArrowLeft" ? document.querySelector("[data-app-prev]") : null;
    if (link) {
      event.preventDefault();
      link.click();
    }
  });
}
