// Behaviour the pages used to carry inline; the Content-Security-Policy allows scripts only
// from files like this one.

// A select marked data-submit-on-change submits its form when a choice is made (the
// "Choose the hierarchy" switcher); without JavaScript its form has a button instead.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change")) {
    field.form.submit();
  }
});
