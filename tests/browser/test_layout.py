"""No two visible labels or controls overlap on any form page (issue 16, defect 5).

The pages come from the URL conf, through the permission matrix's rows (tests/matrix.py),
which already know how to build every URL's arguments from the cast: a URL added to the
portal is walked here too. Every page a provider admin can open (GET, 200, HTML) that shows
a form is loaded in Chromium with every <details> opened (the Advanced properties of the
customer forms are folded by default), and the bounding boxes of its visible labels and
controls are compared pairwise. An element and its own label, or an element inside another
(a checkbox inside its label), are not an overlap.

Set CANOPY_SCREENSHOTS=<folder> to keep a full-page screenshot of every page checked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

from core.models import Job
from tests.browser.conftest import browser_test
from tests.matrix import MATRIX

pytestmark = browser_test

# A desktop (the forms' two columns) and a narrow window (one column, the menu stacked).
WIDTHS = (1280, 600)
# Borders that touch or share a pixel (button groups, input groups) are not an overlap.
TOLERANCE_PX = 2

OVERLAPS = """(tolerance) => {
  for (const details of document.querySelectorAll("details")) details.open = true;
  const boxes = [];
  for (const el of document.querySelectorAll("label, input, select, textarea, button")) {
    if (el.type === "hidden") continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // not drawn, or .visually-hidden
    boxes.push([el, box]);
  }
  const describe = (el) => {
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const id = el.id ? " #" + el.id : "";
    const name = el.name ? " name=" + el.name : "";
    return `<${el.tagName.toLowerCase()}${id}${name}> ${text}`;
  };
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i];
      const [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      if (a.control === b || b.control === a) continue;  // a label and its own control
      const width = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const height = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (width > tolerance && height > tolerance) {
        const size = `${Math.round(width)}x${Math.round(height)} px`;
        found.push(`${describe(a)}  overlaps  ${describe(b)} (${size})`);
      }
    }
  }
  return found;
}"""

# Form pages that must be among those checked, so the walk cannot quietly lose them.
MUST_CHECK = {
    "customers:create",
    "customers:quick_create",
    "customers:create_similar",
    "customers:edit",
    "customers:wizard_admin",
    "customers:contacts",
    "customers:contact_edit",
    "customers:domains",
    "customers:security_log",
    "customers:move",
    "customers:send_email",
    "users:create",
    "users:edit",
    "users:reset_password",
    "users:import",
    "users:my_password",
    "users:my_email",
    "users:my_two_factor_enrol",
    "catalogue:service_create",
    "catalogue:service_edit",
    "catalogue:plan_create",
    "catalogue:plan_edit",
    "catalogue:role_create",
    "password_change",
}


def form_pages(cast) -> list[tuple[str, str]]:
    """(URL name, URL) of every page a provider admin can open that shows a form."""
    client = Client()
    client.force_login(cast.provider_admin, backend="portal.auth.UsernameOrUpnBackend")
    pages = []
    for name, row in sorted(MATRIX.items()):
        # Not pages: and health's view is async, which Django's test client cannot call
        # from inside Playwright's running event loop; nor is an API operation's row for
        # another method ("name POST").
        if name in {"login", "logout", "health", "metrics"} or " " in name:
            continue
        url = reverse(name, args=row.args(cast)) + row.query
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        main = response.content.decode().split("<main", 1)[-1]
        if re.search(r"<(input|select|textarea)\b(?![^>]*type=\"hidden\")", main):
            pages.append((name, url))
    return pages


def test_no_two_labels_or_controls_overlap_on_any_form_page(live_cast, open_as):
    live_cast.customer_job = Job.objects.create(
        kind="provision_customer",
        organisation=live_cast.customer,
        target_label=live_cast.customer.name,
        lock_key=f"org:{live_cast.customer.pk}",
    )
    pages = form_pages(live_cast)
    missing = MUST_CHECK - {name for name, _ in pages}
    assert not missing, f"these form pages were not found or not reachable: {sorted(missing)}"
    screenshots = os.environ.get("CANOPY_SCREENSHOTS")
    page = open_as(live_cast.provider_admin)
    problems = []
    for name, url in pages:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(url)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overlaps = page.evaluate(OVERLAPS, TOLERANCE_PX)
            problems += [f"{name} ({url}) at {width} px: {overlap}" for overlap in overlaps]
            if screenshots:
                path = Path(screenshots) / f"{name.replace(':', '-')}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
    assert not problems, "\n".join(problems)
