package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	jsonv2 "github.com/go-json-experiment/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

// MaxChanges bounds one commit; a SCO that sets more values than this between
// two commits is split by the shim.
const MaxChanges = 10_000

// CommitRequest is one batch from the player frame.
type CommitRequest struct {
	Token     string       `json:"token"`
	Seq       int64        `json:"seq"`
	Changes   []cmi.Change `json:"changes"`
	Terminate bool         `json:"terminate"`
}

// Ack acknowledges a commit. Nav is set when the commit changed what
// navigation is valid (SCORM 2004 sequencing): the shim answers
// adl.nav.request_valid.* from it.
type Ack struct {
	Seq       int64 `json:"seq"`
	Duplicate bool  `json:"duplicate,omitempty"`
	Nav       *Nav  `json:"nav,omitempty"`
}

// Commit validates a batch again with the data model and stores it. A batch
// the model refuses changes nothing and returns *RejectedError.
//
// The work of the data model (decode, validate, evaluate, encode) is done
// here, before the commit queues for the single writer, on the state this
// launch last committed, which the service keeps in memory. The writer
// checks, with the launch row locked, that the launch is still at that
// sequence number and that the stored state is byte for byte the one the
// memory was made from, and writes. When the memory has nothing (after a
// restart) or is stale (another instance wrote the state since: a commit,
// a new session of the SCO), the writer's callback does the same work on
// the stored state: the memory is a shortcut, never the record.
func (s *Service) Commit(ctx context.Context, req CommitRequest) (*Ack, error) {
	if len(req.Changes) > MaxChanges {
		return nil, &RejectedError{Code: 0, Element: "", Diagnostic: fmt.Sprintf("a commit may carry at most %d changes", MaxChanges)}
	}
	if req.Seq < 1 {
		return nil, fmt.Errorf("%w: sequence numbers start at 1", store.ErrSequence)
	}
	hash := account.HashToken(req.Token)
	// Batches sent with keepalive while a page closes can arrive out of
	// order. A batch that comes before its predecessor waits a little for it
	// instead of being refused.
	for wait := 0; ; wait++ {
		ack, err := s.commit(ctx, hash, req)
		if !errors.Is(err, errAhead) || wait >= aheadRetries || ctx.Err() != nil {
			return ack, err
		}
		time.Sleep(aheadPause)
	}
}

// A batch ahead of its predecessor is retried this often, this far apart.
const (
	aheadRetries = 40
	aheadPause   = 50 * time.Millisecond
)

var errAhead = errors.New("commit arrived before its predecessor")

func (s *Service) commit(ctx context.Context, hash string, req CommitRequest) (*Ack, error) {
	live := s.liveState(hash)
	live.mu.Lock()
	defer live.mu.Unlock()

	var pre *applied
	var ahead *seqResult
	if live.state != nil && live.seq == req.Seq-1 {
		pre = applyChanges(live.state.Clone(), req, live.recorded)
		if pre.err == nil && live.tree != nil {
			// The sequencing work too, on the tree this launch's last
			// commit left; the writer takes it when the stored tree is
			// still that one.
			ahead, _ = reportSeq(&seqState{tree: live.tree.Clone(), attemptID: live.attemptID, userID: live.userID, loaded: live.treeRaw},
				live.activity, pre.state, pre.up)
		}
	}
	made := live.raw // the stored state pre was made from
	var done *applied
	var seqDone *seqResult // the sequencing work the commit wrote
	res, err := s.Store.ApplyCommit(ctx, store.CommitRequest{
		TokenHash:       hash,
		Seq:             req.Seq,
		Terminate:       req.Terminate,
		StateID:         live.stateID,
		SingleSCO:       live.single,
		MaxAttemptBytes: s.AttemptMaxBytes,
		Apply: func(l *store.Launch, stored store.StoredState) (*store.ScoUpdate, []byte, error) {
			done = pre
			if done != nil {
				same, err := stored.Is(made)
				if err != nil {
					return nil, nil, err
				}
				if !same {
					done = nil // stale: another instance wrote the state
				}
			}
			if done == nil {
				raw, err := stored.Load()
				if err != nil {
					return nil, nil, err
				}
				var st cmi.State
				if err := json.Unmarshal(raw, &st); err != nil {
					return nil, nil, fmt.Errorf("stored state: %w", err)
				}
				done = applyChanges(&st, req, nil)
			}
			if done.up != nil && len(done.up.Shared) > 0 {
				// A test launch keeps even global shared data to itself.
				a, err := s.Store.AttemptByID(ctx, l.AttemptID)
				if err != nil {
					return nil, nil, err
				}
				done.up.SharedGlobal = s.sharedGlobalOf(ctx, l.VersionID) && !a.Test
			}
			return done.up, done.journal, done.err
		},
		Sequence: func(l *store.Launch, up *store.ScoUpdate, raw []byte) (*store.SeqWrite, error) {
			seqDone = nil
			if done == nil || done.state == nil {
				return nil, nil
			}
			if ahead != nil && done == pre && bytes.Equal(raw, ahead.from) {
				seqDone = ahead
				return ahead.w, nil
			}
			r, err := s.commitSeq(ctx, l, done.state, up, raw)
			if err != nil || r == nil {
				return nil, err
			}
			seqDone = r
			return r.w, nil
		},
	}, s.LaunchTTL, s.rollupOfAttempt)
	var over *store.AttemptBudgetError
	if errors.As(err, &over) {
		v, verr := s.DataModelOf(ctx, req.Token)
		if verr != nil {
			return nil, verr
		}
		return nil, budgetRefusal(req, over, v)
	}
	var gap *store.SequenceGapError
	if errors.As(err, &gap) && gap.Got > gap.Want {
		return nil, fmt.Errorf("%w: %w", errAhead, err)
	}
	if err != nil {
		return nil, err
	}
	if res.Duplicate || done == nil || done.up == nil {
		return &Ack{Seq: res.Launch.Seq, Duplicate: res.Duplicate}, nil
	}
	live.seq, live.state, live.raw = res.Launch.Seq, done.state, done.up.State
	if done != pre || live.recorded == nil {
		// Worked on the stored state: what the launch's journal recorded
		// before this commit is not known here.
		live.recorded = map[string]string{}
	}
	for _, c := range req.Changes {
		live.recorded[c.Element] = c.Value
	}
	live.tree = nil
	if seqDone != nil && seqDone.reusable {
		live.tree, live.treeRaw, live.activity = seqDone.tree, seqDone.stored(), seqDone.activity
		live.attemptID, live.userID = res.Launch.AttemptID, res.Launch.UserID
	}
	ack := &Ack{Seq: res.Launch.Seq}
	if seqDone != nil && seqDone.changed {
		nav := navTree(seqDone.tree)
		ack.Nav = &nav
	}
	return ack, nil
}

// seqResult is a commit's sequencing work: what the SCO's data did to its
// activity and the attempt's tree.
type seqResult struct {
	from     []byte // the stored tree the work was done on
	w        *store.SeqWrite
	tree     *seq.Tree // the tree after the commit
	activity string    // the SCO's activity
	changed  bool      // the tree or a global objective changed
	// reusable: the tree reads no global objectives, so the next commit
	// of the launch may do its work on this tree before it queues (the
	// writer checks that the stored tree is still this one).
	reusable bool
}

// stored is the tree as stored after the commit.
func (r *seqResult) stored() []byte {
	if r.w.Tree != nil {
		return r.w.Tree
	}
	return r.from
}

// commitSeq reports a SCO's committed data to its activity, inside the
// commit's transaction: raw is the stored tree. It returns nil for a
// course that is not sequenced.
func (s *Service) commitSeq(ctx context.Context, l *store.Launch, st *cmi.State, up *store.ScoUpdate, raw []byte) (*seqResult, error) {
	v, err := s.versionOf(ctx, l.VersionID)
	if err != nil || !sequenced(v) {
		return nil, err
	}
	items := s.itemsOf(l.VersionID)
	it := itemByID(items, l.ItemID)
	if it == nil {
		return nil, fmt.Errorf("runtime: launch names item %d: %w", l.ItemID, store.ErrNotFound)
	}
	tr, pkg, err := s.buildTree(v, l.AttemptID, raw)
	if err != nil {
		return nil, err
	}
	ss := &seqState{tree: tr, attemptID: l.AttemptID, userID: l.UserID, loaded: raw}
	if !pkg.DefaultOrg.ObjectivesGlobalToSystem {
		ss.scope = l.AttemptID
	}
	if len(tr.GlobalIDs()) > 0 {
		if ss.scope == 0 {
			// A test launch keeps even global objectives to itself.
			a, err := s.Store.AttemptByID(ctx, l.AttemptID)
			if err != nil {
				return nil, err
			}
			if a.Test {
				ss.scope = l.AttemptID
			}
		}
		if ss.globals, err = s.Store.GlobalObjectives(ctx, l.UserID, ss.scope); err != nil {
			return nil, err
		}
		if err := setGlobals(tr, ss.globals); err != nil {
			return nil, err
		}
	}
	return reportSeq(ss, it.Identifier, st, up)
}

// reportSeq reports the SCO's data to its activity in ss's tree and
// returns what to write.
func reportSeq(ss *seqState, activity string, st *cmi.State, up *store.ScoUpdate) (*seqResult, error) {
	tr := ss.tree
	if err := tr.Report(activity, reportOf(st, up)); err != nil {
		return nil, err
	}
	w, err := ss.write()
	if err != nil {
		return nil, err
	}
	sum := summaryOf(tr)
	w.Summary = &sum
	return &seqResult{from: ss.loaded, w: w, tree: tr, activity: activity,
		changed: w.Tree != nil || len(w.Globals) > 0, reusable: len(tr.GlobalIDs()) == 0}, nil
}

// versionOf returns a course version, read once (versions never change).
func (s *Service) versionOf(ctx context.Context, id uint) (*store.CourseVersion, error) {
	s.mu.Lock()
	v := s.versions[id]
	s.mu.Unlock()
	if v != nil {
		return v, nil
	}
	v, err := s.Store.VersionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.versions == nil {
		s.versions = map[uint]*store.CourseVersion{}
	}
	s.versions[id] = v
	s.mu.Unlock()
	return v, nil
}

// itemsOf returns a version's items, read once.
func (s *Service) itemsOf(versionID uint) []store.Item {
	s.rollupOfAttempt(versionID, nil) // fills the cache
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items[versionID]
}

// applied is a batch applied to a state: the new state, the row's columns,
// the journal, or why the model refused it.
type applied struct {
	state   *cmi.State
	up      *store.ScoUpdate
	journal []byte
	err     error
}

// applyChanges applies req to st (which it changes) and writes the journal
// entry: for each change its element, the value before the batch and the
// new value. recorded, when known, holds for each element the last new
// value that this launch's journal recorded (store.Commit's Changes): an
// old value equal to it is left out, and a reader of the journal takes it
// from there. Suspend data, rewritten whole by most SCOs at every commit,
// is then stored once per commit instead of twice.
func applyChanges(st *cmi.State, req CommitRequest, recorded map[string]string) *applied {
	before := make(map[string]string, len(req.Changes))
	for _, c := range req.Changes {
		if _, seen := before[c.Element]; !seen {
			before[c.Element] = st.Values[c.Element]
		}
	}
	if err := st.Apply(req.Changes); err != nil {
		var se *cmi.SetError
		if errors.As(err, &se) {
			return &applied{err: &RejectedError{Index: se.Index, Code: se.Code, Element: se.Element, Diagnostic: se.Diagnostic}}
		}
		return &applied{err: err}
	}
	if req.Terminate {
		st.EndSession()
	}
	up, err := update(st)
	if err != nil {
		return &applied{err: err}
	}
	up.Shared = sharedWrites(st, req.Changes)
	journal := make([][]string, 0, len(req.Changes))
	for _, c := range req.Changes {
		old := before[c.Element]
		if last, ok := recorded[c.Element]; ok && last == old {
			journal = append(journal, []string{c.Element, c.Value})
		} else {
			journal = append(journal, []string{c.Element, old, c.Value})
		}
	}
	raw, err := jsonv2.Marshal(journal)
	return &applied{state: st, up: up, journal: raw, err: err}
}

// live is the last committed state of a running launch, kept in memory.
// Its mutex also orders the commits of one launch.
type live struct {
	mu      sync.Mutex
	seq     int64
	state   *cmi.State
	raw     []byte // state as stored: a commit checks the stored bytes against it
	used    time.Time
	stateID uint // the SCO's row
	single  bool // the course has one SCO: its row is the attempt's roll-up
	// The attempt's activity tree after this launch's last commit and
	// its stored bytes (SCORM 2004; nil when unknown or when the tree
	// reads global objectives), the SCO's activity, the attempt and
	// learner: a commit does its sequencing work on a copy before it
	// queues, and the writer checks the stored tree against treeRaw.
	tree              *seq.Tree
	treeRaw           []byte
	activity          string
	attemptID, userID uint
	// recorded: for each element, the new value this launch's journal
	// last recorded (see applyChanges); nil when not known.
	recorded map[string]string
}

// maxLive bounds the launches kept in memory; the oldest go first.
const maxLive = 20_000

func (s *Service) liveState(hash string) *live {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[string]*live{}
	}
	l := s.live[hash]
	if l == nil {
		if len(s.live) >= maxLive {
			s.evictLive()
		}
		l = &live{}
		s.live[hash] = l
	}
	l.used = time.Now()
	return l
}

// evictLive drops the least recently used half. Caller holds s.mu.
func (s *Service) evictLive() {
	times := make([]time.Time, 0, len(s.live))
	for _, l := range s.live {
		times = append(times, l.used)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	cut := times[len(times)/2]
	for k, l := range s.live {
		if l.used.Before(cut) {
			delete(s.live, k)
		}
	}
}

// remember records the state a launch starts from.
func (s *Service) remember(hash string, seq int64, st *cmi.State, raw []byte, stateID uint, single bool) {
	l := s.liveState(hash)
	l.mu.Lock()
	l.seq, l.state, l.raw, l.stateID, l.single = seq, st.Clone(), raw, stateID, single
	l.tree, l.treeRaw = nil, nil
	l.recorded = map[string]string{} // a new launch: its journal is empty
	l.mu.Unlock()
}

// forget drops a launch that has ended.
func (s *Service) forget(hash string) {
	s.mu.Lock()
	delete(s.live, hash)
	s.mu.Unlock()
}

// sharedWrites picks the adl.data stores a batch wrote, by target id.
func sharedWrites(st *cmi.State, changes []cmi.Change) map[string]string {
	var out map[string]string
	for _, c := range changes {
		rest, ok := strings.CutPrefix(c.Element, "adl.data.")
		if !ok || !strings.HasSuffix(rest, ".store") {
			continue
		}
		n := strings.TrimSuffix(rest, ".store")
		if _, err := strconv.Atoi(n); err != nil {
			continue
		}
		id := st.Values["adl.data."+n+".id"]
		if id == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[id] = st.Values[c.Element]
	}
	return out
}

// rollup derives an attempt's summary from its SCOs: complete when every
// launchable item is complete, passed when none failed and all that report
// success passed, the score when one SCO reports one (else the mean of the
// scaled scores), and the sum of the time.
func rollup(items []store.Item) store.AttemptRollup {
	launchable := 0
	for _, it := range items {
		if it.Launch != "" {
			launchable++
		}
	}
	return func(_ uint, states []store.ScoState) store.AttemptSummary {
		var sum store.AttemptSummary
		completed, attempted, passed, failed := 0, 0, 0, 0
		var scaled []float64
		for _, st := range states {
			sum.TotalSeconds += st.TotalSeconds
			switch st.Completion {
			case "completed":
				completed++
				attempted++
			case "incomplete", "unknown":
				attempted++
			}
			switch st.Success {
			case "passed":
				passed++
			case "failed":
				failed++
			}
			if st.ScoreScaled != nil {
				scaled = append(scaled, *st.ScoreScaled)
			}
		}
		switch {
		case launchable > 0 && completed >= launchable:
			sum.Completion = "completed"
		case attempted > 0 || len(states) > 0:
			sum.Completion = "incomplete"
		default:
			sum.Completion = "not attempted"
		}
		switch {
		case failed > 0:
			sum.Success = "failed"
		case passed > 0:
			sum.Success = "passed"
		default:
			sum.Success = "unknown"
		}
		if len(states) == 1 {
			sum.ScoreScaled, sum.ScoreRaw, sum.ProgressMeasure = states[0].ScoreScaled, states[0].ScoreRaw, states[0].ProgressMeasure
		} else if len(scaled) > 0 {
			var total float64
			for _, v := range scaled {
				total += v
			}
			mean := total / float64(len(scaled))
			sum.ScoreScaled = &mean
		}
		if launchable > 0 && len(states) > 0 {
			p := float64(completed) / float64(launchable)
			if len(states) > 1 || sum.ProgressMeasure == nil {
				sum.ProgressMeasure = &p
			}
		}
		return sum
	}
}

// rollupOfAttempt rolls up with the version's items, read once per version
// (versions never change after import) so the commit path does not query them.
func (s *Service) rollupOfAttempt(versionID uint, states []store.ScoState) store.AttemptSummary {
	s.mu.Lock()
	items, ok := s.items[versionID]
	s.mu.Unlock()
	if !ok {
		var err error
		if items, err = s.Store.VersionItems(context.Background(), versionID); err != nil {
			if s.Log != nil {
				s.Log.Error("roll-up: items of version", "version", versionID, "err", err)
			}
		} else {
			s.mu.Lock()
			if s.items == nil {
				s.items = map[uint][]store.Item{}
			}
			s.items[versionID] = items
			s.mu.Unlock()
		}
	}
	return rollup(items)(versionID, states)
}

// budgetRefusal refuses a commit that would take the attempt past its
// budget, naming its largest change: the SCO's Commit answers "false" with
// General Set Failure (351) and the diagnostic, and the shim drops that
// change and saves the rest if they fit. SCORM 1.2 has no 351: it gets
// General Exception (101) with the same diagnostic.
func budgetRefusal(req CommitRequest, over *store.AttemptBudgetError, v cmi.Version) *RejectedError {
	i := 0
	for k, c := range req.Changes {
		if len(c.Value) > len(req.Changes[i].Value) {
			i = k
		}
	}
	code := cmi.CodeGeneralSetFailure
	if v == cmi.V12 {
		code = cmi.CodeGeneralException
	}
	rej := &RejectedError{Index: i, Code: code,
		Diagnostic: over.Error() + " (--attempt-max-bytes); nothing of this commit was saved"}
	if len(req.Changes) > 0 {
		rej.Element = req.Changes[i].Element
	}
	return rej
}
