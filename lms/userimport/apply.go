package userimport

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Load reads the users and groups a file is compared with.
func Load(ctx context.Context, st *store.Store) (Directory, error) {
	users, err := st.UsersWithGroups(ctx)
	if err != nil {
		return Directory{}, err
	}
	groups, err := st.Groups(ctx)
	if err != nil {
		return Directory{}, err
	}
	dir := Directory{Users: make(map[string]Existing, len(users)), Groups: make([]string, len(groups))}
	for _, u := range users {
		dir.Users[strings.ToLower(u.Email)] = Existing{Name: u.Name, Active: u.Active, Groups: u.Groups}
	}
	for i, g := range groups {
		dir.Groups[i] = g.Name
	}
	return dir, nil
}

// Apply imports the rows of plan that create or update a user, in one
// transaction: all of them or, on error, none. Invalid rows are skipped;
// whether to go ahead despite them is the caller's choice. dueFor sets the
// due dates of enrolments that joining a group makes (compliance.Service.DueFor).
//
// New users get a random password that nobody is told: they sign in with a
// link or after a password reset. It is hashed like any password, so that
// signing in as them takes as long as for anyone else.
func Apply(ctx context.Context, st *store.Store, plan *Plan, dueFor func(time.Time, store.DueRule) *time.Time) (store.ImportResult, error) {
	var users []store.ImportedUser
	var fresh []int // indexes into users of the users to create
	for _, r := range plan.Rows {
		switch r.Outcome {
		case Create:
			fresh = append(fresh, len(users))
		case Update:
		default:
			continue
		}
		users = append(users, store.ImportedUser{Email: r.Email, Name: r.Name, Groups: r.Groups})
	}
	if len(users) == 0 {
		return store.ImportResult{}, nil
	}
	// Hashing is the slow part: do it on every core, before the transaction
	// takes the database's one writer.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		hashErr error
		next    = make(chan int)
	)
	for range min(runtime.GOMAXPROCS(0), len(fresh)) {
		wg.Go(func() {
			for i := range next {
				h, err := account.HashPassword(account.GeneratePassword())
				if err != nil {
					mu.Lock()
					hashErr = err
					mu.Unlock()
					continue
				}
				users[i].PasswordHash = h
			}
		})
	}
	for _, i := range fresh {
		next <- i
	}
	close(next)
	wg.Wait()
	if hashErr != nil {
		return store.ImportResult{}, hashErr
	}
	return st.ImportUsers(ctx, users, dueFor)
}
