"""axe-core in a Playwright page: the accessibility checks every browser test can run.

`axe_violations(page)` injects axe-core (the npm package, installed by scripts/setup-test-web
into ~/.cache/voice-rp/npm) into the page as it is now and returns what axe finds against
WCAG 2 A/AA and its best practices, each violation as {id, impact, help, targets}: a test asserts
`== []` and a failure names the rule and the elements. `needs_axe` skips a test, with the
command to run, where axe-core is not installed. The script is added as text (not by URL), so a
page's Content-Security-Policy that allows no outside script still lets the check in through
Playwright's own evaluation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path.home() / ".cache" / "voice-rp" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "best-practice")

needs_axe = pytest.mark.skipif(
    not AXE_JS.is_file(), reason=f"axe-core is not installed ({AXE_JS} is missing): run "
    "scripts/setup-test-web")

# axe.run in the page; `context` limits the check to part of the page (a selector), else all.
_RUN = """async ([context, tags]) => {
  const result = await axe.run(context || document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")) }));
}"""


async def axe_violations(page: Any, *, context: str | None = None) -> list[dict[str, Any]]:
    """What axe-core finds wrong on the page now (WCAG 2 A and AA, best practices)."""
    if not AXE_JS.is_file():
        pytest.skip(f"axe-core is not installed ({AXE_JS} is missing): run "
                    "scripts/setup-test-web")
    if not await page.evaluate("typeof window.axe === 'object'"):
        # Evaluated, not added as a <script>: a page whose CSP allows only its own script
        # (the report) would refuse a script element, but not Playwright's evaluation.
        await page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    violations: list[dict[str, Any]] = await page.evaluate(_RUN, [context, list(TAGS)])
    return violations
