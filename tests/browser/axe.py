"""axe-core (vendored from npm in tests/browser/vendor/axe-core, for the tests only) run on a page:
any serious or critical violation fails the test with what and where."""

from pathlib import Path

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
FAILING_IMPACTS = {"serious", "critical"}


def accessibility_violations(page: Page) -> list[dict]:
    """axe's violations of the page as it is now, every impact. The script is evaluated over the
    DevTools protocol, so a page's Content-Security-Policy does not stop it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate("() => window.axe.run(document, {resultTypes: ['violations']})")
    return results["violations"]


def assert_accessible(page: Page, *, where: str = "") -> None:
    failing = [v for v in accessibility_violations(page) if v["impact"] in FAILING_IMPACTS]
    lines = []
    for violation in failing:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}")
    assert not failing, f"axe found on {where or page.url}:\n" + "\n".join(lines)
