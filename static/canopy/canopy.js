// Behaviour the pages used to carry inline; the Content-Security-Policy allows scripts only
// from files like this one.

// A select marked data-submit-on-change submits its form when a choice is made; without
// JavaScript its form has a button instead.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change")) {
    field.form.submit();
  }
});

// The organisation picker (templates/includes/org_picker.html): htmx fetches the matches
// while one types; choosing one puts it in the hidden field and submits that field's form
// (the switcher posts, the Customers filters refresh the list).
function closePicker(picker) {
  picker.querySelector("[data-picker-results]").replaceChildren();
  picker.querySelector("[data-picker-search]").setAttribute("aria-expanded", "false");
}

document.addEventListener("click", (event) => {
  const choice = event.target.closest("[data-pick]");
  const inside = event.target.closest("[data-picker]");
  document.querySelectorAll("[data-picker]").forEach((picker) => {
    if (picker !== inside) closePicker(picker);
  });
  if (!choice || !inside) return;
  const value = inside.querySelector("[data-picker-value]");
  value.value = choice.dataset.pick;
  const search = inside.querySelector("[data-picker-search]");
  search.value = choice.dataset.pickLabel;
  search.dataset.chosen = choice.dataset.pickLabel;
  closePicker(inside);
  // A picker inside a form with more to fill in (Move) waits for that form's own button.
  if (!inside.hasAttribute("data-picker-no-submit")) value.form.requestSubmit();
});

document.addEventListener("keydown", (event) => {
  const picker = event.target.closest && event.target.closest("[data-picker]");
  if (!picker) return;
  if (event.key === "Escape") {
    closePicker(picker);
  } else if (event.key === "Enter" && event.target.hasAttribute("data-picker-search")) {
    // Enter takes the first match instead of submitting what was typed.
    event.preventDefault();
    const first = picker.querySelector("[data-pick]");
    if (first) first.click();
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const options = [...picker.querySelectorAll("[data-pick]")];
    if (!options.length) return;
    event.preventDefault();
    const at = options.indexOf(document.activeElement);
    const next = event.key === "ArrowDown" ? Math.min(at + 1, options.length - 1) : at - 1;
    (next < 0 ? picker.querySelector("[data-picker-search]") : options[next]).focus();
  }
});

// The box shows the current choice; until one types something else, focusing it lists
// everything (not just the current choice), and typing replaces the shown name.
document.addEventListener("htmx:configRequest", (event) => {
  const search = event.detail.elt;
  if (search.hasAttribute && search.hasAttribute("data-picker-search")) {
    if (search.value === search.dataset.chosen) event.detail.parameters.q = "";
  }
});

document.addEventListener("focusin", (event) => {
  if (event.target.hasAttribute && event.target.hasAttribute("data-picker-search")) {
    event.target.select();
  }
});

document.addEventListener("htmx:afterSwap", (event) => {
  const results = event.detail.target;
  if (results.hasAttribute && results.hasAttribute("data-picker-results")) {
    const search = results.closest("[data-picker]").querySelector("[data-picker-search]");
    search.setAttribute("aria-expanded", results.children.length ? "true" : "false");
  }
});

// Typing in a picker's search box is not a change of its form's filters: only a choice is.
document.addEventListener(
  "change",
  (event) => {
    if (event.target.hasAttribute && event.target.hasAttribute("data-picker-search")) {
      event.stopPropagation();
    }
  },
  true,
);

// Multi-select filters: "Select all on this page" checks every row's box; Reset clears a
// filter's boxes.
document.addEventListener("change", (event) => {
  const all = event.target;
  if (!(all instanceof HTMLInputElement) || !all.hasAttribute("data-select-all")) return;
  document
    .querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`)
    .forEach((box) => {
      box.checked = all.checked;
    });
});

// A multi-select filter's ticks wait for Apply (or Reset, which clears them and applies);
// its summary says at once what is ticked.
function summarise(multi) {
  const summary = multi.querySelector("[data-multi-summary]");
  const ticked = [...multi.querySelectorAll("input[type=checkbox]:checked")].map((box) =>
    box.labels.length ? box.labels[0].textContent.trim() : box.value,
  );
  summary.textContent = ticked.length ? ticked.join(", ") : summary.dataset.any;
}

document.addEventListener(
  "change",
  (event) => {
    const multi = event.target.closest && event.target.closest("[data-multi]");
    if (multi) {
      event.stopPropagation();
      summarise(multi);
    }
  },
  true,
);

document.addEventListener("click", (event) => {
  const reset = event.target.closest("[data-multi-reset]");
  if (!reset) return;
  const multi = reset.closest("[data-multi]");
  multi.querySelectorAll("input[type=checkbox]").forEach((box) => {
    box.checked = false;
  });
  multi.open = false;
  summarise(multi);
  reset.form.requestSubmit();
});
