package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointerKeepsTheLogShort: the writer runs no checkpoints of its
// own; the background checkpointer copies the log, so that after every
// batch of writes the writer starts the log again and it stays about one
// batch long. Without the checkpointer (the writer's checkpoints off) the
// log would hold all three batches.
func TestCheckpointerKeepsTheLogShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.db.Raw("PRAGMA wal_autocheckpoint").Row().Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("the writer's wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	if err := s.db.Exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)").Error; err != nil {
		t.Fatal(err)
	}
	const rows, size = 200, 4096
	var first int64 // the log after the first batch
	blob := strings.Repeat("x", size)
	for round := range 3 {
		for range rows {
			if err := s.db.Exec("INSERT INTO filler (data) VALUES (?)", blob).Error; err != nil {
				t.Fatal(err)
			}
		}
		// Wait for two checkpoints after the batch: the first may have
		// started before its last write.
		from := s.checkpoints.Load()
		for deadline := time.Now().Add(30 * time.Second); s.checkpoints.Load() < from+2; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the checkpointer ran %d times in 30 s", round, s.checkpoints.Load()-from)
			}
		}
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			first = fi.Size()
		} else if fi.Size() > first*3/2 {
			t.Errorf("round %d: the log is %d bytes, after the first batch %d: checkpoints are not copying it", round, fi.Size(), first)
		}
	}
	var n int
	if err := s.rdb.Raw("SELECT COUNT(*) FROM filler").Row().Scan(&n); err != nil || n != 3*rows {
		t.Errorf("rows = %d (%v), want %d", n, err, 3*rows)
	}
}
