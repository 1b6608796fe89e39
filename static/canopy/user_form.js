// The username is made from the names until the admin types one of their own.
(function () {
  const form = document.getElementById("user-form");
  const username = form.querySelector("[name=username]");
  const first = form.querySelector("[name=first_name]");
  const last = form.querySelector("[name=last_name]");
  const upn = form.querySelector("[name=upn_local]");
  let edited = username.value !== "";
  username.addEventListener("input", () => { edited = username.value !== ""; });
  function suggest() {
    if (edited) return;
    const raw = (first.value || last.value) ? (first.value.slice(0, 1) + last.value) : upn.value;
    username.value = raw.normalize("NFKD").replace(/[^A-Za-z0-9._-]/g, "").toLowerCase().slice(0, 20);
  }
  [first, last, upn].forEach((field) => field.addEventListener("input", suggest));
})();
