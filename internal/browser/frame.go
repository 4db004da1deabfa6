package browser

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
)

// tryLimit bounds one look into a frame. A frame node goes stale when its
// document navigates, and chromedp then waits for it until the tab's
// context ends (minutes): each try gets its own short limit instead, so
// that callers polling with their own time limit get a fresh node.
const tryLimit = 5 * time.Second

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
		tctx, cancel := context.WithTimeout(ctx, tryLimit)
		nodes, err := chromedp.Run(tctx, chromedp.Nodes(chromedp.CSS(sel), opts...))
		cancel()
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

// WaitInFrame waits up to limit until expr is truthy in the document of the
// nested frame the selectors name (see Frame), looking the frame up again on
// every try so that a navigation inside it never leaves the caller waiting
// on a stale node, and returns the frame and the value.
func WaitInFrame[T any](ctx context.Context, limit time.Duration, expr string, selectors ...string) (*chromedp.Node, T, error) {
	var zero T
	deadline := time.Now().Add(limit)
	last := errors.New("not tried")
	for {
		if f, err := Frame(ctx, selectors...); err != nil {
			last = err
		} else {
			tctx, cancel := context.WithTimeout(ctx, tryLimit)
			v, err := chromedp.Run(tctx, chromedp.Poll[T](expr, chromedp.WithPollingInFrame(f), chromedp.WithPollingTimeout(2*time.Second)))
			cancel()
			if err == nil {
				return f, v, nil
			}
			last = err
		}
		if ctx.Err() != nil {
			return nil, zero, ctx.Err()
		}
		if time.Now().After(deadline) {
			return nil, zero, fmt.Errorf("waited %s for %s in frame %v: %w", limit, expr, selectors, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
