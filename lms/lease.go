package lms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// jobLeaseTTL is how long an instance holds a background job without
// renewing: the holder renews every third of it, and when the holder dies,
// another instance takes the job over within this time.
const jobLeaseTTL = 30 * time.Second

// instanceName names this process in leases: host, process and a random
// part (a restarted process is another holder).
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// runWhileHolding runs a background job while holder holds its lease in the
// database, so that of several instances on one database one at a time runs
// it: run gets a context that ends when the lease is lost (not renewed in
// time, taken by another after it ran out) or ctx ends. On the way out the
// lease is released, so that another instance takes the job at once.
func runWhileHolding(ctx context.Context, st *store.Store, log *slog.Logger, job, holder string, ttl time.Duration, run func(context.Context)) {
	var (
		cancel context.CancelFunc
		done   chan struct{}
	)
	stop := func() {
		if cancel != nil {
			cancel()
			<-done
			cancel = nil
		}
	}
	defer func() {
		stop()
		rel, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		if err := st.ReleaseLease(rel, job, holder); err != nil {
			log.Warn("releasing a job's lease", "job", job, "err", err)
		}
	}()
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		ok, err := st.TakeLease(ctx, job, holder, ttl)
		if err != nil && ctx.Err() == nil {
			log.Warn("renewing a job's lease", "job", job, "err", err)
		}
		switch {
		case ok && cancel == nil:
			log.Debug("this instance runs the job", "job", job)
			jobCtx, c := context.WithCancel(ctx)
			cancel, done = c, make(chan struct{})
			go func() {
				defer close(done)
				run(jobCtx)
			}()
		case !ok && cancel != nil:
			// Not renewed (the database did not answer, or another
			// instance took it after it ran out): stop before another runs.
			log.Warn("this instance lost a job's lease", "job", job)
			stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
