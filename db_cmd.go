package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lectern/lectern/lms/store"
)

// migrateCmd brings the database (--db, or the data folder's SQLite file) to
// the current schema and says where it stands. Every command does this when
// it opens the database; this one does nothing else, for deployments that
// migrate before starting instances.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("migrate", stderr)
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError{"migrate takes no arguments"}
	}
	st, err := store.Open(c.cfg.Database())
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The %s database is at schema version %d (current).\n", dialectName(st), v)
	return nil
}

func dialectName(st *store.Store) string {
	if st.Dialect() == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// copyCmd copies an SQLite organisation into an empty PostgreSQL database
// and compares the counts of every table.
func copyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("copy", stderr)
	from := c.fs.String("from", "", "the SQLite database to copy: sqlite:PATH")
	to := c.fs.String("to", "", "the empty PostgreSQL database to copy into: postgres://...")
	pos, err := c.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || !strings.HasPrefix(*from, "sqlite:") || len(*from) == len("sqlite:") || !store.IsPostgres(*to) {
		return usageError{"copy: want --from sqlite:PATH --to postgres://..."}
	}
	path := strings.TrimPrefix(*from, "sqlite:")
	// Opening a missing file would make a new, empty database.
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("copy: %s is not an SQLite database file", path)
	}
	src, err := store.OpenSQLite(path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.OpenPostgres(*to)
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tSQLite\tPostgreSQL\t")
	var total int64
	for _, n := range counts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", n.Table, n.From, n.To)
		total += n.To
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(counts) == 0 {
		return errors.New("copy: no tables")
	}
	fmt.Fprintf(stdout, "Copied %d rows in %d tables; every count matches.\n", total, len(counts))
	return nil
}
