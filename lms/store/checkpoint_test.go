package store

import (
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

// TestCheckpointerRestartsTheLogUnderSteadyWrites: writers that never
// pause still see the log start again from its beginning, because the
// checkpointer finishes each round with the writer held. Without that
// last pass every PASSIVE checkpoint is behind the writer, and the log
// holds everything written (it grew to 1.9 GB under the load generator).
func TestCheckpointerRestartsTheLogUnderSteadyWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Exec("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)").Error; err != nil {
		t.Fatal(err)
	}
	const size, want = 8192, 96 << 20 // write at least 96 MB
	before := walRestarts(t, path)
	blob := strings.Repeat("y", size)
	var written atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(60 * time.Second)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for written.Load() < want && time.Now().Before(deadline) {
				if err := s.db.Exec("INSERT INTO filler (data) VALUES (?)", blob).Error; err != nil {
					t.Error(err)
					return
				}
				written.Add(size)
			}
		}()
	}
	wg.Wait()
	if written.Load() < want {
		t.Fatalf("wrote %d bytes in 60 s", written.Load())
	}
	// Each 8 KB row is three pages of the log: without restarts the log
	// would be larger than all that was written.
	if fi, err := os.Stat(path + "-wal"); err != nil {
		t.Fatal(err)
	} else if fi.Size() > want/2 {
		t.Errorf("the log is %d bytes after %d bytes written without a pause", fi.Size(), written.Load())
	}
	if n := walRestarts(t, path) - before; n < 2 {
		t.Errorf("the log started again %d times while %d bytes were written without a pause, want at least 2", n, written.Load())
	}
	if s.tailCheckpoints.Load() == 0 {
		t.Error("no checkpoint round ended with the writer held")
	}
}

// walRestarts reads the checkpoint sequence number from the log's header,
// which SQLite increments each time the log starts again from its
// beginning.
func walRestarts(t *testing.T, path string) uint32 {
	t.Helper()
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h [16]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint32(h[12:])
}
