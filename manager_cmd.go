package main

// lectern group manager add|remove|list: managers of groups from the
// command line, audited as the operator's doing.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/store"
)

const managerUsage = "group manager: want add GROUP EMAIL, remove GROUP EMAIL or list GROUP"

func groupManagerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{managerUsage}
	}
	verb, want := args[0], 2
	switch verb {
	case "add", "remove":
	case "list":
		want = 1
	default:
		return usageError{managerUsage}
	}
	c := newCommand("group manager "+verb, stderr)
	app, pos, err := c.start(args[1:], stderr, want, managerUsage)
	if err != nil {
		return err
	}
	defer app.Close()
	g, err := groupByRef(ctx, app, pos[0])
	if err != nil {
		return err
	}
	if verb == "list" {
		us, err := app.Store.GroupManagers(ctx, g.ID)
		if err != nil {
			return err
		}
		for _, u := range us {
			fmt.Fprintf(stdout, "%s\t%s\n", u.Email, u.Name)
		}
		return nil
	}
	u, err := app.Store.UserByEmail(ctx, pos[1])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user has the address %q", strings.TrimSpace(pos[1]))
	} else if err != nil {
		return err
	}
	if verb == "remove" {
		if err := app.Store.RemoveManager(ctx, u.ID, g.ID); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s does not manage %q", u.Email, g.Name)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s no longer manages %q\n", u.Email, g.Name)
		return nil
	}
	if !u.Active {
		return fmt.Errorf("%s is deactivated and cannot manage a group", u.Email)
	}
	added, err := app.Store.AddManager(ctx, u.ID, g.ID)
	if err != nil {
		return err
	}
	if added {
		fmt.Fprintf(stdout, "%s now manages %q\n", u.Email, g.Name)
	} else {
		fmt.Fprintf(stdout, "%s already manages %q\n", u.Email, g.Name)
	}
	return nil
}

// groupByRef finds a group by name.
func groupByRef(ctx context.Context, app *lms.App, name string) (*store.Group, error) {
	g, err := app.Store.GroupByName(ctx, strings.TrimSpace(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no group is named %q", name)
	}
	return g, err
}
