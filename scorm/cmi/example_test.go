package cmi_test

import (
	"fmt"

	"github.com/lectern/lectern/scorm/cmi"
)

// The life of an attempt as the LMS sees it: launch, a commit from the
// browser, the end of the session, and the next launch resuming.
func Example() {
	threshold := 0.8
	init := cmi.Init{LearnerID: "learner-7", LearnerName: "Grace Hopper", CompletionThreshold: &threshold}

	st, err := cmi.NewState(cmi.V2004, init, nil) // first launch
	if err != nil {
		panic(err)
	}
	// The browser commits what the SCO set; the server re-validates it all.
	err = st.Apply([]cmi.Change{
		{Element: "cmi.location", Value: "slide-4"},
		{Element: "cmi.progress_measure", Value: "0.5"},
		{Element: "cmi.session_time", Value: "PT10M"},
		{Element: "cmi.exit", Value: "suspend"},
	})
	fmt.Println("commit:", err)
	sum := st.Summary()
	fmt.Println("summary:", sum.Completion, sum.TotalTimeText)

	// A tampered commit is refused as a whole.
	err = st.Apply([]cmi.Change{{Element: "cmi.location", Value: "x"}, {Element: "cmi.total_time", Value: "PT99H"}})
	fmt.Println("tampered:", err)

	st.EndSession() // on Terminate, or when the LMS closes the session itself
	fmt.Println("new attempt next time:", st.NewAttemptNeeded())

	next, _ := cmi.NewState(cmi.V2004, init, st)
	rt := cmi.NewRuntime(next)
	rt.Initialize("")
	fmt.Println("entry:", rt.GetValue("cmi.entry"), "location:", rt.GetValue("cmi.location"),
		"total:", rt.GetValue("cmi.total_time"))
	// Output:
	// commit: <nil>
	// summary: incomplete PT0H10M0S
	// tampered: cmi: change 1 "cmi.total_time": error 404: cmi.total_time is read only
	// new attempt next time: false
	// entry: resume location: slide-4 total: PT0H10M0S
}
