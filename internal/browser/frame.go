package browser

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"
)

// Frame finds a nested iframe: each selector is looked up inside the
// document of the frame found before it (the first in the page). Frames of
// the same site (Lectern's LMS and content origins on one host) share the
// page's process, so their documents are reachable.
func Frame(ctx context.Context, selectors ...string) (*chromedp.Node, error) {
	var node *chromedp.Node
	for _, sel := range selectors {
		// AtLeast(0): answer at once instead of waiting for the element, so
		// that callers can poll with their own time limit.
		opts := []chromedp.QueryOption{chromedp.AtLeast(0)}
		if node != nil {
			opts = append(opts, chromedp.FromNode(node))
		}
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel), opts...))
		if err != nil {
			return nil, fmt.Errorf("frame %q: %w", sel, err)
		}
		if len(nodes) == 0 {
			return nil, fmt.Errorf("frame %q: not found", sel)
		}
		node = nodes[0]
	}
	return node, nil
}

// Eval waits until expr is truthy in the document of frame (the page when
// frame is nil) and returns its value.
func Eval[T any](ctx context.Context, frame *chromedp.Node, expr string) (T, error) {
	var opts []chromedp.PollOption
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	return chromedp.Run(ctx, chromedp.Poll[T](expr, opts...))
}
