// Package dbdump reads a whole SQLite or PostgreSQL database as text, for
// tests that check that an action changed what it should and nothing else.
package dbdump

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the store's PostgreSQL driver
	_ "github.com/mattn/go-sqlite3"    // the driver the store uses
)

// Snapshot is every row of every table, as text, by table.
type Snapshot map[string][]string

// Take reads the database at path (read-only), skipping the tables named:
// an SQLite file, or a PostgreSQL database when path is a postgres:// URL.
func Take(t testing.TB, path string, skip ...string) Snapshot {
	t.Helper()
	driver, dsn := "sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000"
	tables := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		driver, dsn = "pgx", path
		tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := Snapshot{}
	for _, table := range names {
		if contains(skip, table) {
			continue
		}
		out[table] = dumpTable(t, db, table)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dumpTable(t testing.TB, db *sql.DB, table string) []string {
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		var b strings.Builder
		for i, c := range cols {
			v := vals[i]
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v;", c, v)
		}
		out = append(out, b.String())
	}
	sort.Strings(out)
	return out
}

// Changed lists the tables whose rows differ between a and b.
func Changed(a, b Snapshot) []string {
	var out []string
	for table, rows := range b {
		if !same(a[table], rows) {
			out = append(out, table)
		}
	}
	for table := range a {
		if _, ok := b[table]; !ok {
			out = append(out, table)
		}
	}
	sort.Strings(out)
	return out
}

func same(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
