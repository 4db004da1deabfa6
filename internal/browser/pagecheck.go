package browser

// PageCheck is a script for chromedp.Evaluate[[]string] that lists a page's
// problems: a form control without a label a screen reader can use, an image
// without alt text, a page wider than the screen, no h1, no language.
const PageCheck = `(() => {
	const problems = [];
	for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
		const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
			(el.tagName === "BUTTON" && el.textContent.trim() !== "");
		if (!named) problems.push("unlabelled " + el.tagName.toLowerCase() + (el.name ? " " + el.name : ""));
	}
	for (const img of document.querySelectorAll("img:not([alt])")) problems.push("image without alt: " + img.src);
	if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push("page wider than the screen: " + document.documentElement.scrollWidth + "px");
	if (!document.querySelector("h1")) problems.push("no h1");
	if (!document.documentElement.lang) problems.push("no lang");
	return problems;
})()`
