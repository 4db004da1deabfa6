package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// TableCount is one table's rows in the source and the destination of a
// copy.
type TableCount struct {
	Table    string
	From, To int64
}

// CopyTo copies every row of every table of s (an SQLite store) into dst, a
// PostgreSQL store whose tables are empty, in one transaction: either all
// of it arrives or nothing does. Both stores have run the same migrations
// (opening them did). Tables are copied parents first (by their foreign
// keys), values are converted to the destination's column types, id
// sequences are moved past the copied ids, and the counts of both sides
// are compared at the end: a difference is an error, and the transaction
// is rolled back.
func (s *Store) CopyTo(ctx context.Context, dst *Store) ([]TableCount, error) {
	if s.pg || !dst.pg {
		return nil, errors.New("store: copy goes from SQLite to PostgreSQL")
	}
	src, err := s.rdb.DB()
	if err != nil {
		return nil, err
	}
	out, err := dst.db.DB()
	if err != nil {
		return nil, err
	}
	from, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	to, err := dst.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if from != to {
		return nil, fmt.Errorf("store: copy: the source is at schema version %d, the destination at %d", from, to)
	}
	tables, err := pgTablesInOrder(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	srcTables := map[string]bool{}
	rows, err := src.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		srcTables[n] = true
	}
	rows.Close()
	for n := range srcTables {
		if n != "schema_migrations" && !contains(tables, n) {
			return nil, fmt.Errorf("store: copy: table %s of the source has no place in the destination", n)
		}
	}

	tx, err := out.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var counts []TableCount
	for _, table := range tables {
		if table == "schema_migrations" {
			continue // each side has its own, and they agree (checked above)
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+table+`"`).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("store: copy: the destination's table %s has rows: copy into an empty database", table)
		}
		c := TableCount{Table: table}
		if srcTables[table] {
			if c.From, err = copyTable(ctx, src, tx, table); err != nil {
				return nil, fmt.Errorf("store: copy %s: %w", table, err)
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+table+`"`).Scan(&c.To); err != nil {
			return nil, err
		}
		counts = append(counts, c)
	}
	for _, c := range counts {
		if c.From != c.To {
			return counts, fmt.Errorf("store: copy: table %s has %d rows in the source and %d in the destination; nothing was copied", c.Table, c.From, c.To)
		}
	}
	return counts, tx.Commit()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pgTablesInOrder lists the tables of the PostgreSQL database, each after
// the tables its foreign keys point to.
func pgTablesInOrder(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	deps := map[string][]string{}
	rows, err = db.QueryContext(ctx, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
		JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			rows.Close()
			return nil, err
		}
		child, parent = strings.Trim(child, `"`), strings.Trim(parent, `"`)
		if child != parent {
			deps[child] = append(deps[child], parent)
		}
	}
	rows.Close()
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("foreign keys go round in a circle at %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		ps := deps[n]
		sort.Strings(ps)
		for _, p := range ps {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// copyBatch bounds the rows of one INSERT (PostgreSQL takes at most 65,535
// parameters in a statement).
const copyBatch = 500

// copyTable copies one table's rows, in id order where there is an id,
// and returns how many the source had.
func copyTable(ctx context.Context, src *sql.DB, tx *sql.Tx, table string) (int64, error) {
	types := map[string]string{}
	rows, err := tx.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			rows.Close()
			return 0, err
		}
		types[c] = t
	}
	rows.Close()
	srcRows, err := src.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return 0, err
	}
	defer srcRows.Close()
	cols, err := srcRows.Columns()
	if err != nil {
		return 0, err
	}
	for _, c := range cols {
		if _, ok := types[c]; !ok {
			return 0, fmt.Errorf("column %s of the source has no place in the destination", c)
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	head := `INSERT INTO "` + table + `" (` + strings.Join(quoted, ", ") + `) VALUES `
	var (
		n     int64
		batch []any
		inBat int
	)
	flush := func() error {
		if inBat == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(head)
		p := 0
		for r := 0; r < inBat; r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for i := range cols {
				if i > 0 {
					b.WriteString(", ")
				}
				p++
				fmt.Fprintf(&b, "$%d", p)
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), batch...); err != nil {
			return err
		}
		batch, inBat = batch[:0], 0
		return nil
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for srcRows.Next() {
		if err := srcRows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
		for i, c := range cols {
			v, err := toPostgres(vals[i], types[c])
			if err != nil {
				return n, fmt.Errorf("row %d, column %s: %w", n, c, err)
			}
			batch = append(batch, v)
		}
		if inBat++; inBat == copyBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := srcRows.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	if t, ok := types["id"]; ok && (t == "bigint" || t == "integer") {
		// The copied ids do not move the sequence that numbers new rows.
		var seq sql.NullString
		if err := tx.QueryRowContext(ctx, "SELECT pg_get_serial_sequence($1, 'id')", table).Scan(&seq); err != nil {
			return n, err
		}
		if seq.Valid {
			if _, err := tx.ExecContext(ctx, `SELECT setval($1, COALESCE((SELECT MAX(id) FROM "`+table+`"), 0) + 1, false)`, seq.String); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// toPostgres converts a value read from SQLite to what a PostgreSQL column
// of type pgType takes: SQLite keeps booleans as numbers, times that were
// written as text stay text, and it does not check UTF-8.
func toPostgres(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case float64:
			return x != 0, nil
		case string:
			return x == "1" || strings.EqualFold(x, "true"), nil
		}
	case "bytea":
		switch x := v.(type) {
		case string:
			return []byte(x), nil
		case []byte:
			return x, nil
		}
	case "timestamp with time zone", "timestamp without time zone", "date":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string, []byte:
			var d dbTime
			if err := d.Scan(x); err != nil || d.t == nil {
				return nil, fmt.Errorf("%q is not a time", x)
			}
			return *d.t, nil
		}
	case "text", "character varying", "character", "json", "jsonb":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return v, nil
		}
		if !utf8.ValidString(s) {
			return nil, errors.New("text that is not UTF-8 (PostgreSQL stores UTF-8 only): correct it in the source first")
		}
		// PostgreSQL text cannot hold NUL.
		if strings.IndexByte(s, 0) >= 0 {
			return nil, errors.New("text with a NUL character (PostgreSQL cannot store it): correct it in the source first")
		}
		return s, nil
	}
	return v, nil
}
